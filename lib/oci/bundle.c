/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundle: its path resolved as runc resolves it, the directory opened,
 * config.json's bytes read. No JSON here: the runtime's front
 * (cmd/runtime/front.c) reads the bytes to decide whether a container needs
 * us at all, and is built without json-c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/path-clean.h"
#include "oci/bundle.h"

int oci_path_join_clean(const char *base, const char *path, const char *what, char **ret,
                        struct nvcr_err *err)
{
        const char *bad = NULL;
        int r = path_clean(base, path, PATH_DOTDOT_REFUSE, ret, &bad);

        if (r == -EINVAL && bad != NULL)
                return nvcr_err_set(err, EINVAL, "%s '%s' has a '..' component", what, bad);
        if (r == -EINVAL)
                return nvcr_err_set(err, EINVAL, "%s '%s' is not an absolute path", what, path);
        if (r == -ENAMETOOLONG)
                return nvcr_err_set(err, ENAMETOOLONG, "%s: path too long", what);
        if (r < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

int oci_path_abs_lexical(const char *cwd, const char *path, char **ret, struct nvcr_err *err)
{
        int r;

        if (path[0] == '\0')
                return nvcr_err_set(err, EINVAL, "bundle path is empty");
        r = path_clean(cwd, path, PATH_DOTDOT_POP, ret, NULL);
        if (r == -EINVAL)
                return nvcr_err_set(err, EINVAL,
                                    "bundle '%s': the current directory is unknown", path);
        if (r == -ENAMETOOLONG)
                return nvcr_err_set(err, ENAMETOOLONG, "bundle: path too long");
        if (r < 0)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        return 0;
}

int spec_open_bundle(const char *bundle, struct nvcr_err *err)
{
        _cleanup_free_ char *clean = NULL;
        int fd, r;

        if (bundle == NULL || bundle[0] != '/')
                return nvcr_err_set(err, EINVAL, "bundle '%s' is not an absolute path",
                                    bundle != NULL ? bundle : "");
        r = oci_path_join_clean(NULL, bundle, "bundle", &clean, err);
        if (r < 0)
                return r;
        fd = open(clean, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "open bundle %s failed", clean);
        return fd;
}

int spec_read_named(int bundlefd, const char *name, const char *bundle, char **ret,
                    size_t *ret_len, struct nvcr_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        fd = openat(bundlefd, name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return nvcr_err_setsys(err, errno, "open %s/%s failed",
                                       bundle != NULL ? bundle : ".", name);
        if (fstat(fd, &st) < 0)
                return nvcr_err_setsys(err, errno, "stat %s/%s failed",
                                       bundle != NULL ? bundle : ".", name);
        if (!S_ISREG(st.st_mode))
                return nvcr_err_set(err, EINVAL, "%s/%s is not a regular file",
                                    bundle != NULL ? bundle : ".", name);
        if ((uintmax_t)st.st_size > OCI_SPEC_MAX)
                return nvcr_err_set(err, EFBIG, "%s/%s: larger than %u bytes",
                                    bundle != NULL ? bundle : ".", name, OCI_SPEC_MAX);
        /* One byte of slack: the size is checked again after reading. */
        r = read_fd_all(fd, OCI_SPEC_MAX + 1, &buf, &len, err);
        if (r == -EFBIG || (r == 0 && len > OCI_SPEC_MAX))
                return nvcr_err_set(err, EFBIG, "%s/%s: larger than %u bytes",
                                    bundle != NULL ? bundle : ".", name, OCI_SPEC_MAX);
        if (r < 0)
                return nvcr_err_wrap(err, "%s/%s", bundle != NULL ? bundle : ".", name);
        *ret = steal_ptr(&buf);
        *ret_len = len;
        return 0;
}

int spec_read(int bundlefd, const char *bundle, char **ret, size_t *ret_len, struct nvcr_err *err)
{
        return spec_read_named(bundlefd, "config.json", bundle, ret, ret_len, err);
}
