// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_mid - middle of the chain kmpt_leaf -> kmpt_mid -> kmpt_core.
 * Imports from kmpt_core, exports one plain GPL symbol and one symbol in the
 * symbol namespace KMPT_TEST_NS (Module.symvers 4th column, modinfo import_ns).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kmpt_core.h"
#include "kmpt_mid.h"

int kmpt_mid_twice(int x)
{
	return kmpt_core_add(x, x);
}
EXPORT_SYMBOL_GPL(kmpt_mid_twice);

int kmpt_mid_ns_get(void)
{
	return kmpt_core_value;
}
EXPORT_SYMBOL_NS_GPL(kmpt_mid_ns_get, KMPT_TEST_NS);

static int __init kmpt_mid_init(void)
{
	pr_info("kmpt_mid: twice(21)=%d\n", kmpt_mid_twice(21));
	return 0;
}

static void __exit kmpt_mid_exit(void)
{
	kmpt_core_hello("kmpt_mid exit");
}

module_init(kmpt_mid_init);
module_exit(kmpt_mid_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: middle module of a dependency chain");
MODULE_VERSION("0.9");
