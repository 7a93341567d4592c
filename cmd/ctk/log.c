/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctk.h"

static bool debug_on, quiet_on;
static time_t started;

void ctk_log_init(const struct ctk_global *g)
{
        debug_on = g->debug;
        quiet_on = g->quiet;
        started = time(NULL);
}

__attribute__((format(printf, 3, 0))) static void emit(const char *tty_level, const char *level, const char *fmt,
                                                      va_list ap)
{
        char msg[4096];

        (void)vsnprintf(msg, sizeof(msg), fmt, ap);
        if (isatty(STDERR_FILENO)) {
                fprintf(stderr, "%s[%04ld] %s\n", tty_level, (long)(time(NULL) - started), msg);
        } else {
                char ts[64];
                time_t now = time(NULL);
                struct tm tm;

                (void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
                fprintf(stderr, "time=\"%s\" level=%s msg=\"", ts, level);
                /* Quotes and backslashes escaped as the reference's logger does. */
                for (const char *c = msg; *c; c++) {
                        if (*c == '"' || *c == '\\')
                                fputc('\\', stderr);
                        fputc(*c, stderr);
                }
                fputs("\"\n", stderr);
        }
}

#define LOGFN(name, tty, lvl, cond)                                                                \
        void name(const char *fmt, ...)                                                            \
        {                                                                                          \
                va_list ap;                                                                        \
                if (!(cond))                                                                       \
                        return;                                                                    \
                va_start(ap, fmt);                                                                 \
                emit(tty, lvl, fmt, ap);                                                           \
                va_end(ap);                                                                        \
        }

LOGFN(ctk_error, "ERRO", "error", true)
LOGFN(ctk_warn, "WARN", "warning", !quiet_on)
LOGFN(ctk_info, "INFO", "info", !quiet_on)
LOGFN(ctk_debug, "DEBU", "debug", debug_on && !quiet_on)
