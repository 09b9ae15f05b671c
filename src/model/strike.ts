// One strike against a block target: when it was earned and why (escalation counts them).

export interface Strike {
  time: number;
  reason: string;
}
