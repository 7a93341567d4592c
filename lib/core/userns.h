/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NVCR_CORE_USERNS_H
#define NVCR_CORE_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

/* True in any user namespace but the initial one (a container's, LXC's hook). */
bool in_user_namespace(void);

/*
 * True when the caller is in a user namespace other than the initial one and
 * `uid` is the overflow uid: how the host's (unmapped) root shows there, e.g.
 * for the host files LXC's unprivileged mount hook uses. Root-ownership
 * checks of host files accept it in that case.
 */
bool uid_is_unmapped_root(uid_t uid);

#endif
