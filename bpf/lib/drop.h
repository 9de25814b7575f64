/* SPDX-License-Identifier: GPL-2.0 */
/* Drop reasons with Cilium's stable numbers (bpf/lib/common.h DROP_*, texts in
 * pkg/monitor/api/drop.go). src/protocol/drop-reasons.ts carries the same
 * numbers and the texts; test/unit/drop-reasons.test.ts checks they agree.
 */
#ifndef PS_LIB_DROP_H
#define PS_LIB_DROP_H

#define DROP_POLICY			133 /* Policy denied (default deny) */
#define DROP_INVALID			134 /* Invalid packet */
#define DROP_CT_INVALID_HDR		135 /* CT: Truncated or invalid header */
#define DROP_CT_UNKNOWN_PROTO		137 /* CT: Unknown L4 protocol */
#define DROP_MISSED_TAIL_CALL		140 /* Missed tail call */
#define DROP_WRITE_ERROR		141 /* Error writing to packet */
#define DROP_FRAG_NOT_FOUND		175 /* First logical datagram fragment not found */
#define DROP_POLICY_DENY		181 /* Policy denied by denylist */

#endif /* PS_LIB_DROP_H */
