// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt-dash - the file is kmpt-dash.ko but the module name (KBUILD_MODNAME,
 * modinfo "name", /sys/module, modules.dep lookups) is kmpt_dash.
 * Imports kmpt_extra_fn so depmod writes a dash-named entry with a dependency.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kmpt_extra.h"

static int __init kmpt_dash_init(void)
{
	pr_info("%s: extra=%d\n", KBUILD_MODNAME, kmpt_extra_fn());
	return 0;
}

static void __exit kmpt_dash_exit(void)
{
}

module_init(kmpt_dash_init);
module_exit(kmpt_dash_exit);

MODULE_ALIAS("kmpt-dash-alias");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: dash in the file name");
