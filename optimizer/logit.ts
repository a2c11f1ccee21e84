/** The logit scale, on which the learner's hierarchy and the replay's generators add effects. */
export const logit = (p: number) => Math.log(p / (1 - p))
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))
