/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <time.h>

#include "runtime/args.h"

void runtime_report(const struct runtime_args *a, const char *prog, const char *msg)
{
        FILE *f;

        fprintf(stderr, "%s: %s\n", prog, msg);
        if (a->log == NULL || (f = fopen(a->log, "ae")) == NULL)
                return;
        if (a->log_json) {
                char ts[64];
                time_t now = time(NULL);
                struct tm tm;

                (void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
                fprintf(f, "{\"level\":\"error\",\"msg\":\"");
                for (const char *p = msg; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                fputc('\\', f);
                        fputc((unsigned char)*p >= 0x20 ? *p : ' ', f);
                }
                fprintf(f, "\",\"time\":\"%s\"}\n", ts);
        } else {
                fprintf(f, "%s: %s\n", prog, msg);
        }
        (void)fclose(f);
}
