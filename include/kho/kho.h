/* SPDX-License-Identifier: MIT */
/* libkho: everything public, in data-flow order. */
#ifndef KHO_KHO_H
#define KHO_KHO_H

#include "kho/error.h"
#include "kho/number.h"
#include "kho/abi.h"
#include "kho/check.h"
#include "kho/ref.h"
#include "kho/source.h"
#include "kho/handover.h"
#include "kho/map.h"
#include "kho/luo.h"
#include "kho/verify.h"

#define KHO_VERSION_STRING "0.1.0"

#endif
