/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the device-cgroup tests: builds the BPF_CGROUP_DEVICE program
 * runc 1.1 generates for a rule list (libcontainer/cgroups/ebpf/devicefilter),
 * the program our v2 code must keep working when it prepends its rules.
 */
#ifndef NVCR_TESTS_RUNC_DEVFILTER_H
#define NVCR_TESTS_RUNC_DEVFILTER_H

#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

struct rule {
        int type; /* 'c' or 'b' */
        int major, minor; /* -1 = any */
        const char *access;
        int allow;
};

/*
 * runc 1.1's device filter (libcontainer/cgroups/ebpf/devicefilter): the
 * rules in reverse order, a block per rule, r1 reused as scratch for the
 * access check, default deny.
 */
static inline size_t runc_filter(const struct rule *rules, size_t n, struct bpf_insn *out)
{
        size_t k = 0;

        out[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
        out[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        out[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
        out[k++] = INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
        out[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
        out[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
        for (size_t i = n; i-- > 0;) {
                const struct rule *r = &rules[i];
                int acc = 0;
                size_t start = k, len;

                for (const char *a = r->access; *a; a++)
                        acc |= *a == 'r' ? BPF_DEVCG_ACC_READ
                                         : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
                len = (size_t)(1 + (acc != 7 ? 3 : 0) + (r->major >= 0) + (r->minor >= 0) + 2);
                out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
                                r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
                if (acc != 7) {
                        out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0);
                        out[k++] = INSN(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, acc);
                        out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_X, 1, 3, 0, 0);
                }
                if (r->major >= 0)
                        out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, r->major);
                if (r->minor >= 0)
                        out[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, r->minor);
                out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, r->allow);
                out[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                /* the "goto next" jumps land after this block */
                for (size_t j = start; j < start + len - 2; j++)
                        if (BPF_CLASS(out[j].code) == BPF_JMP)
                                out[j].off = (__s16)(start + len - j - 1);
        }
        out[k++] = INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0);
        out[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return k;
}

#endif
