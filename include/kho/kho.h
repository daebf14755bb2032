/* SPDX-License-Identifier: MIT */
/* libkho: everything public, in data-flow order: open a source, run a
 * report, read the verdict through accessors, or open a model of the
 * dump's handovers (kho/model.h). No struct of the verifier
 * is public. The reference implementation (generator, spec language,
 * writers) is libkho-ref: kho/ref.h. */
#ifndef KHO_KHO_H
#define KHO_KHO_H

#include "kho/error.h"
#include "kho/number.h"
#include "kho/abi.h"
#include "kho/check.h"
#include "kho/source.h"
#include "kho/report.h"
#include "kho/model.h"

#define KHO_VERSION_STRING "0.2.0"   /* the headers' version */

#ifdef __cplusplus
extern "C" {
#endif
/* kho_version - the version of the libkho loaded at run time ("0.2.0"),
 * which may be newer than KHO_VERSION_STRING of the headers built against. */
const char *kho_version(void);
#ifdef __cplusplus
}
#endif

#endif
