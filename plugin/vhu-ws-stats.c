/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-stats.c - statistics trees over the "vhost_user" tap (one tap
 * entry per message):
 *   tshark -z vhost_user,tree      messages by direction and type
 *   tshark -z vhost_user_srt,tree  response time per request type (µs)
 */
#include "vhu-ws.h"

#include <epan/stats_tree.h>

#include "vhu_msgs.h"
#include "vhu_record.h"

static const char st_dir_fe[] = "Front-end to back-end";
static const char st_dir_be[] = "Back-end to front-end";
static const char st_dir_unknown[] = "Direction unknown";

static int st_node_msgs = -1;
static int st_node_srt = -1;

static const char *direction(const struct vhu_msg_info *mi)
{
	if (mi->sender == VHU_ROLE_FRONTEND)
		return st_dir_fe;
	if (mi->sender == VHU_ROLE_BACKEND)
		return st_dir_be;
	return st_dir_unknown;
}

/* "VHOST_USER_GET_FEATURES reply", or the number of an unknown id. */
static const char *message_name(packet_info *pinfo, const struct vhu_ws_msg *wm)
{
	const char *name = vhu_msg_name(wm->mi.channel, wm->m.request);

	if (!name)
		name = wmem_strdup_printf(pinfo->pool, "Unknown request %u", wm->m.request);
	if (wm->mi.is_reply)
		return wmem_strdup_printf(pinfo->pool, "%s reply", name);
	return name;
}

static void msgs_init(stats_tree *st)
{
	st_node_msgs = stats_tree_create_node(st, "vhost-user messages", 0, STAT_DT_INT, TRUE);
}

static tap_packet_status msgs_packet(stats_tree *st, packet_info *pinfo,
				     epan_dissect_t *edt _U_, const void *p,
				     tap_flags_t flags _U_)
{
	const struct vhu_ws_msg *wm = p;
	int dir;

	tick_stat_node(st, "vhost-user messages", 0, TRUE);
	dir = tick_stat_node(st, direction(&wm->mi), st_node_msgs, TRUE);
	tick_stat_node(st, message_name(pinfo, wm), dir, FALSE);
	return TAP_PACKET_REDRAW;
}

static void srt_init(stats_tree *st)
{
	st_node_srt = stats_tree_create_node(st, "vhost-user response time (us)", 0,
					     STAT_DT_INT, TRUE);
}

/* One sample per matched reply: the latency from its request. */
static tap_packet_status srt_packet(stats_tree *st, packet_info *pinfo _U_,
				    epan_dissect_t *edt _U_, const void *p,
				    tap_flags_t flags _U_)
{
	const struct vhu_ws_msg *wm = p;
	const char *name;
	gint us;

	if (!wm->mi.is_reply || !wm->mi.matched)
		return TAP_PACKET_DONT_REDRAW;
	name = vhu_msg_name(wm->mi.channel, wm->m.request);
	if (!name)
		name = "Unknown request";
	us = wm->mi.latency_ns / 1000u > G_MAXINT ? G_MAXINT : (gint)(wm->mi.latency_ns / 1000u);
	avg_stat_node_add_value_int(st, "vhost-user response time (us)", 0, TRUE, us);
	avg_stat_node_add_value_int(st, name, st_node_srt, FALSE, us);
	return TAP_PACKET_REDRAW;
}

void vhu_ws_stats_register(void)
{
	stats_tree_register_plugin(VHU_PROTO_FILTER, VHU_PROTO_FILTER,
				   "vhost-user/Messages by direction and type", 0,
				   msgs_packet, msgs_init, NULL);
	stats_tree_register_plugin(VHU_PROTO_FILTER, VHU_PROTO_FILTER "_srt",
				   "vhost-user/Response time by request", 0,
				   srt_packet, srt_init, NULL);
}
