/* A WebSocket echo server on libwebsockets, as a board application would
 * write one: wslab's foreign-server tests run it under a board's limits.
 * Usage: lws_echo PORT */
#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG 16384 /* the esp32-idf model's message cap */

struct conn {
	unsigned char buf[LWS_PRE + MAX_MSG];
	size_t len;
	int ready, binary;
};

static volatile int interrupted;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

static int echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_RECEIVE:
		if (c->len + len > MAX_MSG) {
			/* too big: close 1009, as a board's firmware answers it */
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
			return -1;
		}
		memcpy(c->buf + LWS_PRE + c->len, in, len);
		c->len += len;
		c->binary = lws_frame_is_binary(wsi);
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			c->ready = 1;
			lws_rx_flow_control(wsi, 0); /* one message at a time */
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!c->ready)
			break;
		if (lws_write(wsi, c->buf + LWS_PRE, c->len, c->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)c->len)
			return -1;
		c->len = 0;
		c->ready = 0;
		lws_rx_flow_control(wsi, 1);
		break;
	default:
		break;
	}
	return 0;
}

static struct lws_protocols protocols[] = {
	{ "echo", echo, sizeof(struct conn), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;

	if (argc < 2)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = atoi(argv[1]);
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	ctx = lws_create_context(&info);
	if (!ctx)
		return 1;
	while (!interrupted && lws_service(ctx, 0) >= 0)
		;
	lws_context_destroy(ctx);
	return 0;
}
