/* SPDX-License-Identifier: MIT */
/* libkho, public API and inside: what this tree's tools and tests build
 * on (linking the static libkho). Not installed. */
#ifndef KHO_INTERNAL_H
#define KHO_INTERNAL_H

#include "kho/kho.h"
#include "kho/findings.h"
#include "kho/version.h"
#include "kho/handover.h"
#include "kho/map.h"
#include "kho/luo.h"
#include "kho/verify.h"
#include "kho/session.h"

#endif
