// CRIU's RPC messages (rpc.proto, CRIU's own), encoded and decoded by protobufjs. Field names stay
// as the .proto spells them (snake_case), so a request here reads like CRIU's documentation.
import protobuf from 'protobufjs';
import { RPC_PROTO } from './rpc-proto.js';

export type CgMode = 'IGNORE' | 'CG_NONE' | 'PROPS' | 'SOFT' | 'FULL' | 'STRICT' | 'DEFAULT';
export type ReqType = 'DUMP' | 'RESTORE' | 'PRE_DUMP' | 'NOTIFY' | 'VERSION' | 'FEATURE_CHECK';

/** criu_opts: the fields hako sets (rpc.proto has more). */
export interface CriuOpts {
  images_dir_fd: number;
  pid?: number;
  leave_running?: boolean;
  ext_unix_sk?: boolean;
  tcp_established?: boolean;
  evasive_devices?: boolean;
  shell_job?: boolean;
  file_locks?: boolean;
  log_level?: number;
  log_file?: string;
  notify_scripts?: boolean;
  root?: string;
  parent_img?: string;
  track_mem?: boolean;
  auto_dedup?: boolean;
  work_dir_fd?: number;
  link_remap?: boolean;
  ext_mnt?: { key: string; val: string }[];
  manage_cgroups?: boolean;
  cg_root?: { ctrl?: string; path: string }[];
  rst_sibling?: boolean;
  inherit_fd?: { key: string; fd: number }[];
  manage_cgroups_mode?: CgMode;
  external?: string[];
  empty_ns?: number;
  join_ns?: { ns: string; ns_file: string }[];
  freeze_cgroup?: string;
  tcp_skip_in_flight?: boolean;
  orphan_pts_master?: boolean;
  config_file?: string;
}

export interface CriuReq {
  type: ReqType;
  opts?: CriuOpts;
  notify_success?: boolean;
  features?: { mem_track?: boolean; lazy_pages?: boolean };
}

export interface CriuResp {
  type: ReqType | 'EMPTY';
  success: boolean;
  restore?: { pid: number };
  notify?: { script?: string; pid?: number };
  cr_errno?: number;
  cr_errmsg?: string;
  version?: { major_number: number; minor_number: number; sublevel?: number };
  features?: { mem_track?: boolean; lazy_pages?: boolean };
}

let types: { req: protobuf.Type; resp: protobuf.Type } | undefined;

function messageTypes(): { req: protobuf.Type; resp: protobuf.Type } {
  if (!types) {
    const { root } = protobuf.parse(RPC_PROTO, { keepCase: true });
    types = { req: root.lookupType('criu_req'), resp: root.lookupType('criu_resp') };
  }
  return types;
}

export function encodeRequest(req: CriuReq): Uint8Array {
  const { req: type } = messageTypes();
  return type.encode(type.fromObject(req)).finish();
}

export function decodeResponse(bytes: Uint8Array): CriuResp {
  const { resp: type } = messageTypes();
  return type.toObject(type.decode(bytes), { enums: String }) as CriuResp;
}
