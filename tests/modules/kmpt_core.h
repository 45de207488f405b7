/* SPDX-License-Identifier: GPL-2.0 */
/* Interface exported by kmpt_core.ko (kmpkit test fixture). */
#ifndef KMPT_CORE_H
#define KMPT_CORE_H

extern int kmpt_core_value;                 /* EXPORT_SYMBOL, a variable   */
int kmpt_core_add(int a, int b);            /* EXPORT_SYMBOL, a function   */
void kmpt_core_hello(const char *who);      /* EXPORT_SYMBOL_GPL           */

#endif
