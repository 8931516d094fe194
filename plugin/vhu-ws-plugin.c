/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-plugin.c - the symbols Wireshark looks for when it loads the
 * plugin: version strings and the registration entry point, in the form
 * each supported Wireshark release expects.
 */
#define WS_BUILD_DLL
#include "vhu-ws-compat.h"

#include <epan/packet.h>
#include <epan/proto.h>

#ifndef VHU_PLUGIN_VERSION
#define VHU_PLUGIN_VERSION "0.1.0"
#endif

void proto_register_vhost_user(void);
void proto_reg_handoff_vhost_user(void);

static void vhu_register(void)
{
	static proto_plugin plug;

	plug.register_protoinfo = proto_register_vhost_user;
	plug.register_handoff = proto_reg_handoff_vhost_user;
	proto_register_plugin(&plug);
}

#ifdef WIRESHARK_PLUGIN_REGISTER
/* 4.6 and later: one module descriptor. */
static struct ws_module vhu_module = {
	.flags = WS_PLUGIN_DESC_DISSECTOR,
	.version = VHU_PLUGIN_VERSION,
	.spdx_id = "MIT",
	.home_url = "",
	.blurb = "vhost-user protocol and capture records",
	.register_cb = &vhu_register,
};

WIRESHARK_PLUGIN_REGISTER_EPAN(&vhu_module, 0)
#else
WS_DLL_PUBLIC_DEF const gchar plugin_version[] = VHU_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
	vhu_register();
}

#if VHU_WS_AT_LEAST(4, 2)
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t plugin_describe(void)
{
	return WS_PLUGIN_DESC_DISSECTOR;
}
#endif
#endif
