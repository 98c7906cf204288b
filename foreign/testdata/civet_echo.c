/* A WebSocket echo server on CivetWeb (an embeddable C server): wslab's
 * foreign-server tests run it under a board's limits.
 * Usage: civet_echo PORT [THREADS [MAX_MESSAGE]]
 * THREADS (default 8) is the slot count: CivetWeb holds a worker thread per
 * WebSocket, and a newcomer past them waits in its queue, unanswered.
 * MAX_MESSAGE (default none) is the message cap: a larger message gets a
 * close 1009, as a board's firmware answers it. */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int interrupted;
static size_t max_message; /* 0: no cap */

static void on_signal(int sig) { (void)sig; interrupted = 1; }

static int on_data(struct mg_connection *conn, int bits, char *data, size_t len, void *user)
{
	int op = bits & 0x0f;
	(void)user;
	if (op == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE)
		return 0;
	if (max_message && len > max_message) {
		static const char too_big[2] = { 0x03, (char)0xf1 }; /* 1009 */
		mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, too_big, sizeof too_big);
		return 0;
	}
	if (op == MG_WEBSOCKET_OPCODE_TEXT || op == MG_WEBSOCKET_OPCODE_BINARY)
		mg_websocket_write(conn, op, data, len);
	return 1;
}

static int on_root(struct mg_connection *conn, void *user)
{
	(void)user;
	mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
	return 200;
}

int main(int argc, char **argv)
{
	char ports[32], threads[16];
	const char *options[] = { "listening_ports", ports, "num_threads", threads, NULL };
	struct mg_callbacks cb;
	struct mg_context *ctx;

	if (argc < 2)
		return 2;
	snprintf(ports, sizeof ports, "127.0.0.1:%s", argv[1]);
	snprintf(threads, sizeof threads, "%s", argc > 2 ? argv[2] : "8");
	if (argc > 3)
		max_message = (size_t)strtoul(argv[3], NULL, 10);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mg_init_library(0);
	memset(&cb, 0, sizeof cb);
	ctx = mg_start(&cb, NULL, options);
	if (!ctx)
		return 1;
	mg_set_request_handler(ctx, "/$", on_root, NULL);
	mg_set_websocket_handler(ctx, "/ws", NULL, NULL, on_data, NULL, NULL);
	while (!interrupted)
		usleep(100000);
	mg_stop(ctx);
	mg_exit_library();
	return 0;
}
