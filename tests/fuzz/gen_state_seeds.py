#!/usr/bin/env python3
"""gen_state_seeds.py - write the node-*, policy-* and token-ref* seeds of
fuzz_state's corpus (tests/fuzz/corpus/state), in the program format
fuzz_state.c documents.

    tests/fuzz/gen_state_seeds.py tests/fuzz/corpus/state

Each seed is a program: a flags byte, then instructions. What each does can
be seen with FUZZ_STATE_TRACE=1 build/tests/fuzz/replay_state DIR (one
receipt per line).
"""
import os
import sys

GENESIS_NODE, PRELUDE = 0x02, 0x01
HYBRID, CLASSIC_ATTENUATION = 0x04, 0x08  # the genesis's key 6


def tx_node(sb, b1, b2, auth=0x00, flags=b"\x00"):
    """OP_NODE (p 16, c 0x80): paths byte "/", the authority byte (0x00
    admin@active, 0x01 alice@active), the flags byte (and its consumed
    versions' bytes), then s, b1, b2."""
    return bytes([0x80, 0x00, auth]) + flags + bytes([sb, b1, b2])


def flush(step=1, variant=0):
    return bytes([0x03, step, variant])


REOPEN = bytes([0x0F])  # kind 7, p odd: reopen the second database


def invite(k, role, exp=40, auth=0):  # exp 40: 32 s after the last entry
    return tx_node(0x00 | k << 3, role, exp, auth)


def join(k, node, raft, api=0, proof=0, sbits=0, auth=0, flags=b"\x00"):
    """node: 0-3 ND0..ND3, 4 the admin's key, 5 alice's; raft: an index of
    RAFT_ADDRS; proof: 0 right, 1 another key, 2 another address, 3 another
    cluster; sbits 0x40: the input's authority, 0x80: INVITE@owner;
    flags b"\x01\x00": a consumed version (the newest), which a join does
    not use: refused after it ran."""
    return tx_node(0x01 | k << 3 | sbits, node | raft << 3, api | proof << 2,
                   auth, flags)


def remove(node, auth=0):
    return tx_node(0x02, node, 0, auth)


def role(node, r, auth=0):
    return tx_node(0x03, node, r, auth)


def listed(k=0, sbits=0x40, auth=0):
    return tx_node(0x04 | k << 3 | sbits, 0, 0, auth)


def query(k=0, sbits=0x40, auth=0):
    return tx_node(0x05 | k << 3 | sbits, 0, 0, auth)


# Ops (enum op in fuzz_state.c) and the authority byte.
OP_MKDIR, OP_PUT, OP_ACCOUNT_CREATE, OP_CAP_GRANT = 0, 1, 5, 13
ADMIN_ACTIVE, ADMIN_OWNER, ALICE_ACTIVE = 0x00, 0x08, 0x01
TOKEN = 0x80  # a fresh token, its holder signs
BOB_KEY = 1 << 2  # key masks: ADMIN, ALICE, BOB, CAROL, M1, M2, M3


def tx(op, paths, auth, args=b"", tok=b"", flags=b"\x00"):
    """A TX instruction (kind 0, p = op): the paths byte (two indexes into
    PATHS), the authority byte and its token's bytes, the flags byte, then
    the op's bytes."""
    return bytes([op << 3, paths, auth]) + tok + flags + args


def token(issuer, holder, path, attenuate_to=None):
    """token_from_input's bytes: issuer 0-3 (ADMIN, ALICE, M1, BOB),
    holder 0-3 (BOB, CAROL, ALICE, ADMIN), a path resource, every right, no
    expiry; attenuated (read, write and create kept) to the holder
    attenuate_to."""
    t0 = issuer | holder << 2 | (0x80 if attenuate_to is not None else 0)
    out = bytes([t0, path, 0x00, 0x10, 0x00])
    if attenuate_to is not None:
        out += bytes([0x0d, attenuate_to << 4])
    return out


def content(data):
    return bytes([len(data)]) + data


def policy_program(flags):
    """Under a policy: admin writes, tokens to composite and to Ed25519
    holders (bob and carol are Ed25519 under classic attenuation), an
    attenuated token, bob's account, a node invited and joining (its key,
    its proof), a reopen (the policy read back) and a read."""
    return (bytes([flags]) +
            tx(OP_MKDIR, 0x02, ADMIN_ACTIVE) +
            tx(OP_PUT, 0x06, ADMIN_ACTIVE, content(b"hybrid")) + flush() +
            # a token admin -> bob, bob writes under it
            tx(OP_PUT, 0x03, TOKEN, content(b"b"), token(0, 0, 1)) +
            # admin -> carol, attenuated carol -> bob, bob writes
            tx(OP_MKDIR, 0x04, TOKEN, tok=token(0, 1, 0, attenuate_to=0)) +
            # alice -> admin (composite holders only)
            tx(OP_MKDIR, 0x05, TOKEN, tok=token(1, 3, 0)) + flush() +
            # bob's account: taken under hybrid, refused with classic
            # attenuation (bob's key is Ed25519 there)
            tx(OP_ACCOUNT_CREATE, 0x00, ADMIN_OWNER,
               bytes([4, BOB_KEY, 0, 1])) + flush() +
            invite(0, 1) + flush() + join(0, 1, 1) + flush() + REOPEN +
            tx(OP_PUT, 0x08, TOKEN, content(b"bob"), token(3, 0, 7)) +
            flush() + listed() + query() + flush())


BY_REF, FROM_HISTORY, OTHER_SIGNS = 0x08, 0x04, 0x02


def token_ref_program(flags):
    """Tokens by reference ([3, rid]): one before the token was presented
    (refused, unknown), the token inline (kept), then by reference from
    the history: by its holder, by someone else, after a reopen."""
    return (bytes([flags]) +
            tx(OP_MKDIR, 0x02, ADMIN_ACTIVE) + flush() +
            tx(OP_PUT, 0x03, TOKEN | BY_REF, content(b"r"), token(0, 0, 1)) +
            flush() +
            tx(OP_PUT, 0x03, TOKEN, content(b"i"), token(0, 0, 1)) +
            flush() +
            tx(OP_PUT, 0x03, TOKEN | FROM_HISTORY | BY_REF, content(b"x"),
               bytes([1])) +
            tx(OP_PUT, 0x03, TOKEN | FROM_HISTORY | BY_REF | OTHER_SIGNS,
               content(b"y"), bytes([1])) + flush() + REOPEN +
            tx(OP_PUT, 0x03, TOKEN | FROM_HISTORY | BY_REF, content(b"z"),
               bytes([0])) + flush())


SEEDS = {
    # invite, join, the same invitation again (later, and in one entry
    # with another join), node.list applied and as queries, a reopen
    "node-invite-join": bytes([GENESIS_NODE]) + invite(0, 1) + flush() +
    join(0, 1, 1, api=1) + flush() + join(0, 2, 2) + flush() +
    invite(1, 2) + flush() + join(1, 2, 2) + join(1, 3, 3) + flush() +
    listed() + query() + query(0, 0) + listed(0, 0) + flush() + REOPEN +
    query(1) + flush(),
    # roles and removal; the last voter kept; alice refused
    "node-remove-role": bytes([GENESIS_NODE | PRELUDE]) + invite(0, 1) +
    flush() + join(0, 1, 1) + flush() + role(1, 2) + remove(0) + flush() +
    role(1, 1) + remove(0) + flush() + role(0, 1) + remove(1) + role(1, 4) +
    role(1, 1) + flush() + remove(1, auth=0x01) + role(1, 2, auth=0x01) +
    invite(2, 1, auth=0x01) + flush(),
    # every refusal of node.invite and node.join
    "node-join-refusals": bytes([GENESIS_NODE]) + invite(0, 1) +
    invite(1, 3) + invite(0, 1) + invite(2, 0) + invite(2, 1, 0xFF) +
    invite(2, 1, 0) + invite(3, 1, 0xFE) + flush() +
    join(0, 1, 1, proof=1) + join(0, 1, 1, proof=2) +
    join(0, 1, 1, proof=3) + join(0, 1, 0) + join(0, 1, 5) + join(0, 1, 6) +
    join(0, 1, 7) + join(0, 1, 1, api=3) + join(0, 0, 1) +
    join(0, 1, 1, sbits=0x80) + join(0, 1, 1, sbits=0x40) + flush() +
    join(0, 4, 4) + flush() + flush(252) + join(1, 2, 2) + flush() +
    join(0, 5, 3) + flush(),
    # a join refused after it ran (a consumed version it does not use):
    # its writes undone, the nodes epoch still; then the same join applies
    "node-join-undone": bytes([GENESIS_NODE | PRELUDE]) + invite(0, 2) +
    flush() + join(0, 1, 1, flags=b"\x01\x00") + flush() + join(0, 1, 1) +
    flush(),
    # a genesis without a node: the first voter comes by invitation
    "node-no-genesis-node": bytes([0x00]) + invite(0, 3) + invite(1, 2) +
    flush() + join(0, 1, 3) + join(1, 2, 4) + flush() + remove(1) +
    role(2, 1) + flush() + remove(2) + role(2, 3) + invite(2, 1) + flush() +
    join(2, 3, 1) + flush() + remove(2) + flush(),
    # genesis key 6: hybrid (every key composite), then hybrid with
    # classic attenuation (bob's and carol's keys Ed25519)
    "policy-hybrid": policy_program(GENESIS_NODE | PRELUDE | HYBRID),
    "policy-hybrid-classic-attenuation": policy_program(
        GENESIS_NODE | PRELUDE | HYBRID | CLASSIC_ATTENUATION),
    "token-ref": token_ref_program(GENESIS_NODE | PRELUDE),
    "token-ref-hybrid": token_ref_program(GENESIS_NODE | PRELUDE | HYBRID),
}


def main():
    out = sys.argv[1]
    for name, program in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(program)


if __name__ == "__main__":
    main()
