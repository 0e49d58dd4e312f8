/**
 * The SAM-CLIP sub-graph roles and the bundle kinds that combine them. A `sam-clip` bundle shares
 * one backbone between the SAM neck and the CLIP head; `sam`, `clip` and `sam+clip` serve users who
 * hold only public SAM and/or CLIP checkpoints, with a separate image encoder per model.
 */
export const ROLES = [
  'backbone',
  'sam_neck',
  'sam_encoder',
  'prompt_decoder',
  'clip_head',
  'clip_image_encoder',
  'text_encoder',
] as const;

export type Role = (typeof ROLES)[number];

export const BUNDLE_KINDS = ['sam-clip', 'sam', 'clip', 'sam+clip'] as const;

export type BundleKind = (typeof BUNDLE_KINDS)[number];

/** The roles a bundle of each kind must provide; a bundle may hold no role outside its kind's list. */
export const KIND_ROLES: Readonly<Record<BundleKind, readonly Role[]>> = {
  'sam-clip': ['backbone', 'sam_neck', 'prompt_decoder', 'clip_head', 'text_encoder'],
  sam: ['sam_encoder', 'prompt_decoder'],
  clip: ['clip_image_encoder', 'text_encoder'],
  'sam+clip': ['sam_encoder', 'prompt_decoder', 'clip_image_encoder', 'text_encoder'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isBundleKind(value: unknown): value is BundleKind {
  return typeof value === 'string' && (BUNDLE_KINDS as readonly string[]).includes(value);
}

/** Whether a kind can segment with prompts (has a SAM prompt decoder). */
export function kindHasSam(kind: BundleKind): boolean {
  return KIND_ROLES[kind].includes('prompt_decoder');
}

/** Whether a kind can embed text and images into CLIP space. */
export function kindHasClip(kind: BundleKind): boolean {
  return KIND_ROLES[kind].includes('text_encoder');
}
