import { CommonArgs } from './common';
export function check(_a: CommonArgs & { format?: string }): number {
  return 0;
}
