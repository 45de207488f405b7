// SPDX-License-Identifier: GPL-2.0
// kmpkit test module built from a DKMS source (tests/kmp-sources): imports one vmlinux symbol,
// exports one, and answers one device alias (a modalias() supplement).
#include <linux/module.h>
#include <linux/kernel.h>

int kmpt_dkms_answer(void) { return 42; }
EXPORT_SYMBOL_GPL(kmpt_dkms_answer);

static int __init kmpt_dkms_init(void)
{
	pr_info("kmpt_dkms: loaded\n");
	return 0;
}

static void __exit kmpt_dkms_exit(void) {}

module_init(kmpt_dkms_init);
module_exit(kmpt_dkms_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
MODULE_DESCRIPTION("kmpkit test module from a DKMS source");
MODULE_ALIAS("pci:v00001AF4d0000FFF0sv*sd*bc*sc*i*");
