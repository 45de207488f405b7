// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_leaf - end of the chain kmpt_leaf -> kmpt_mid -> kmpt_core.
 * Imports from kmpt_mid (including a namespaced symbol) and directly from
 * kmpt_core; exports nothing. Carries a softdep, two firmware names and a
 * module parameter.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "kmpt_core.h"
#include "kmpt_mid.h"

static int kmpt_leaf_debug;
module_param_named(debug, kmpt_leaf_debug, int, 0644);
MODULE_PARM_DESC(debug, "debug level (0-2)");

static int __init kmpt_leaf_init(void)
{
	int v = kmpt_mid_twice(kmpt_core_value) + kmpt_mid_ns_get();

	if (kmpt_leaf_debug)
		pr_info("kmpt_leaf: v=%d\n", v);
	kmpt_core_hello("kmpt_leaf");
	return 0;
}

static void __exit kmpt_leaf_exit(void)
{
	pr_info("kmpt_leaf: bye\n");
}

module_init(kmpt_leaf_init);
module_exit(kmpt_leaf_exit);

MODULE_IMPORT_NS(KMPT_TEST_NS);
MODULE_SOFTDEP("pre: kmpt_core post: kmpt_extra");
MODULE_FIRMWARE("kmpt/fw-1.bin");
MODULE_FIRMWARE("kmpt/fw-2.bin");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: leaf module with softdep and firmware");
MODULE_VERSION("2.0.1");
