/* SPDX-License-Identifier: GPL-2.0 */
/* Interface exported by kmpt_mid.ko (kmpkit test fixture). */
#ifndef KMPT_MID_H
#define KMPT_MID_H

int kmpt_mid_twice(int x);                  /* EXPORT_SYMBOL_GPL                       */
int kmpt_mid_ns_get(void);                  /* EXPORT_SYMBOL_NS_GPL(..., KMPT_TEST_NS) */

#endif
