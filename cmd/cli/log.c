/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output of the library's log. The --debug file gets every message in the
 * glog-like layout of the reference (`I1124 20:58:00.123456 4242 file.c:12] msg`);
 * stderr gets warnings only, so stdout stays machine-readable.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static FILE *debug_file;

int cli_log_open(const char *path)
{
        int fd;

        if (strcmp(path, "/dev/stderr") == 0) {
                debug_file = stderr;
                return 0;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -1;
        debug_file = fdopen(fd, "a");
        if (debug_file == NULL) {
                (void)close(fd);
                return -1;
        }
        setvbuf(debug_file, NULL, _IOLBF, 0);
        return 0;
}

void cli_log(void *userdata, enum nvcr_log_level level, const char *file, int line,
             const char *msg)
{
        static const char letters[] = {'D', 'I', 'W', 'E'};
        const char *base = strrchr(file, '/');
        struct timeval tv;
        struct tm tm;

        (void)userdata;
        if (level >= NVCR_LOG_WARNING && debug_file != stderr)
                fprintf(stderr, "%s: warning: %s\n", PROG, msg);
        if (debug_file == NULL)
                return;
        gettimeofday(&tv, NULL);
        localtime_r(&tv.tv_sec, &tm);
        fprintf(debug_file, "%c%02d%02d %02d:%02d:%02d.%06ld %ld %s:%d] %s\n",
                letters[(unsigned)level < sizeof(letters) ? level : 0], tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec,
                (long)syscall(SYS_gettid), base ? base + 1 : file, line, msg);
}

int cli_fail(const char *phase, const struct nvcr_err *err)
{
        fprintf(stderr, "%s: %s error: %s\n", PROG, phase, err->msg);
        if (debug_file != NULL && debug_file != stderr)
                fprintf(debug_file, "E %s error: %s\n", phase, err->msg);
        return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s%s%s: ", PROG, cmd ? " " : "", cmd ? cmd : "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry `%s%s%s --help' or `%s%s%s --usage' for more information.\n",
                PROG, cmd ? " " : "", cmd ? cmd : "", PROG, cmd ? " " : "", cmd ? cmd : "");
        return 1;
}
