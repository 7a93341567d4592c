/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lexical path cleaning (Go's filepath.Clean/Join/Abs, nothing looked up on
 * disk): one walk for every caller, which differ only in what a ".."
 * component means to them.
 */
#ifndef NVCR_CORE_PATH_CLEAN_H
#define NVCR_CORE_PATH_CLEAN_H

enum path_dotdot {
        PATH_DOTDOT_POP,    /* drops the previous name, never above "/" (Go's Clean) */
        PATH_DOTDOT_REFUSE, /* -EINVAL: a path that must not climb at all */
};

/*
 * `path` when absolute, else `base` + "/" + `path` (base then must be
 * absolute: -EINVAL otherwise), with empty and "." names dropped, ".."
 * handled as `dd` says, no trailing '/', "/" for nothing. With
 * PATH_DOTDOT_REFUSE a ".." is -EINVAL and *bad (when not NULL) is set to
 * the input that holds it (base or path). -ENAMETOOLONG, -ENOMEM.
 */
int path_clean(const char *base, const char *path, enum path_dotdot dd, char **ret,
               const char **bad);

#endif
