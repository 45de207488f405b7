// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_weak - has a weak undefined import (kmpt_optional_fn, which no module
 * provides; `nm` shows it as "w") next to a normal import from kmpt_core.
 * The weak symbol is not a dependency: modpost does not complain about it and
 * depmod must not report it as unknown.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kmpt_core.h"

extern int kmpt_optional_fn(void) __attribute__((weak));

static int __init kmpt_weak_init(void)
{
	int v = 0;

	if (kmpt_optional_fn)
		v = kmpt_optional_fn();
	pr_info("kmpt_weak: optional=%d sum=%d\n", v, kmpt_core_add(v, 1));
	return 0;
}

static void __exit kmpt_weak_exit(void)
{
}

module_init(kmpt_weak_init);
module_exit(kmpt_weak_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: weak import");
