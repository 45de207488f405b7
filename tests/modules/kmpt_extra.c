// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_extra - standalone module (imports only from vmlinux), exports one
 * symbol, has an alias containing dashes. It is the "post:" softdep of
 * kmpt_leaf and the provider for kmpt-dash.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kmpt_extra.h"

int kmpt_extra_fn(void)
{
	return 7;
}
EXPORT_SYMBOL(kmpt_extra_fn);

static int __init kmpt_extra_init(void)
{
	pr_info("kmpt_extra: loaded\n");
	return 0;
}

static void __exit kmpt_extra_exit(void)
{
}

module_init(kmpt_extra_init);
module_exit(kmpt_extra_exit);

MODULE_ALIAS("kmpt-extra-alias");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: standalone exporting module");
MODULE_VERSION("1.0");
