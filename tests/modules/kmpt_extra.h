/* SPDX-License-Identifier: GPL-2.0 */
/* Interface exported by kmpt_extra.ko (kmpkit test fixture). */
#ifndef KMPT_EXTRA_H
#define KMPT_EXTRA_H

int kmpt_extra_fn(void);                    /* EXPORT_SYMBOL */

#endif
