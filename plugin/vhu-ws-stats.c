/* SPDX-License-Identifier: MIT */
/*
 * vhu-ws-stats.c - statistics over the "vhost_user" tap (one tap entry
 * per message):
 *   tshark -z vhost_user,tree  messages by direction and type (stats tree)
 *   tshark -z vhost_user,srt   service response time per request type
 *                              (Statistics > Service Response Time)
 */
#include "vhu-ws.h"

#include <epan/srt_table.h>
#include <epan/stats_tree.h>

#include "vhu_msgs.h"
#include "vhu_record.h"

/* ---- messages by direction and type (stats tree) ---- */

static const char st_dir_fe[] = "Front-end to back-end";
static const char st_dir_be[] = "Back-end to front-end";
static const char st_dir_unknown[] = "Direction unknown";

static int st_node_msgs = -1;

static const char *direction(const struct vhu_msg_info *mi)
{
	if (mi->sender == VHU_ROLE_FRONTEND)
		return st_dir_fe;
	if (mi->sender == VHU_ROLE_BACKEND)
		return st_dir_be;
	return st_dir_unknown;
}

/* "VHOST_USER_GET_FEATURES reply", or the number of an unknown id. */
static const char *message_name(packet_info *pinfo, const struct vhu_ws_tap_msg *wm)
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
	const struct vhu_ws_tap_msg *wm = p;
	int dir;

	tick_stat_node(st, "vhost-user messages", 0, TRUE);
	dir = tick_stat_node(st, direction(&wm->mi), st_node_msgs, TRUE);
	tick_stat_node(st, message_name(pinfo, wm), dir, FALSE);
	return TAP_PACKET_REDRAW;
}

/* ---- service response time (SRT tables) ---- */

/*
 * One table per channel, each with a row per request id: the row index
 * is the id, so the GUI's "filter on this row" (table filter == index)
 * selects that request.  Ids 0..VHU_SRT_ID_ROWS-1 get rows of their own;
 * the few captures with a matched reply to a larger (unknown) id count it
 * in one last row.  Every row is named when the table is made, so adding
 * a sample never grows the table while a GUI holds pointers into it.
 */
#define VHU_SRT_ID_ROWS 256
#define VHU_SRT_ROWS (VHU_SRT_ID_ROWS + 1)

static const struct {
	uint8_t channel;
	const char *name;
	const char *filter;
} srt_tables[] = {
	{ VHU_CHAN_MAIN, "Front-end requests", VHU_PROTO_FILTER ".request" },
	{ VHU_CHAN_BACKEND, "Back-end channel requests", VHU_PROTO_FILTER ".backend_request" },
	{ VHU_CHAN_GPU, "GPU requests", VHU_PROTO_FILTER ".gpu_request" },
};
#define VHU_SRT_TABLES ((int)G_N_ELEMENTS(srt_tables))

static void srt_init(struct register_srt *srt _U_, GArray *srt_array)
{
	int t;

	for (t = 0; t < VHU_SRT_TABLES; t++) {
		srt_stat_table *tab = init_srt_table(srt_tables[t].name, NULL, srt_array,
						     VHU_SRT_ROWS, "Request",
						     srt_tables[t].filter, NULL);
		uint32_t id;

		for (id = 0; id < VHU_SRT_ID_ROWS; id++) {
			const struct vhu_msg_desc *d = vhu_msg_lookup(srt_tables[t].channel, id);
			char *unknown = NULL;

			if (!d)
				unknown = g_strdup_printf("Unknown request %u", id);
			init_srt_table_row(tab, (int)id, d ? d->summary_name : unknown);
			g_free(unknown);
		}
		init_srt_table_row(tab, VHU_SRT_ID_ROWS, "Unknown requests above 255");
	}
}

/* One sample per reply matched to its request.  The session measured the
 * latency between the two records; the request time handed to the table
 * is this reply's time minus that latency, so the table shows exactly
 * what vhost_user.time shows. */
static tap_packet_status srt_packet(void *tapdata, packet_info *pinfo,
				    epan_dissect_t *edt _U_, const void *p,
				    tap_flags_t flags _U_)
{
	const srt_data_t *data = tapdata;
	const struct vhu_ws_tap_msg *wm = p;
	nstime_t latency, req_time;
	int t;

	if (!wm->mi.is_reply || !wm->mi.matched)
		return TAP_PACKET_DONT_REDRAW;
	for (t = 0; t < VHU_SRT_TABLES; t++)
		if (srt_tables[t].channel == wm->mi.channel)
			break;
	if (t == VHU_SRT_TABLES || (unsigned)t >= data->srt_array->len)
		return TAP_PACKET_DONT_REDRAW;
	latency.secs = (time_t)(wm->mi.latency_ns / 1000000000u);
	latency.nsecs = (int)(wm->mi.latency_ns % 1000000000u);
	nstime_delta(&req_time, &pinfo->abs_ts, &latency);
	add_srt_table_data(g_array_index(data->srt_array, srt_stat_table *, t),
			   wm->m.request < VHU_SRT_ID_ROWS ? (int)wm->m.request : VHU_SRT_ID_ROWS,
			   &req_time, pinfo);
	return TAP_PACKET_REDRAW;
}

void vhu_ws_stats_register(void)
{
	stats_tree_register_plugin(VHU_PROTO_FILTER, VHU_PROTO_FILTER,
				   "vhost-user/Messages by direction and type", 0,
				   msgs_packet, msgs_init, NULL);
	register_srt_table(proto_vhost_user, VHU_PROTO_FILTER, VHU_SRT_TABLES,
			   srt_packet, srt_init, NULL);
}
