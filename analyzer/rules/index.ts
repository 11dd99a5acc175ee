import type { RuleKind } from './context';
import initBeforeRead from './init-before-read';
import requiresBefore from './requires-before';
import guarded from './guarded';
import resetComplete from './reset-complete';
import mustFollow from './must-follow';
import markWithoutWrite from './mark-without-write';

export const RULE_KINDS: Record<string, RuleKind<never>> = Object.fromEntries(
  [initBeforeRead, requiresBefore, guarded, resetComplete, mustFollow, markWithoutWrite].map((k) => [k.kind, k as RuleKind<never>]),
);
