/**
 * Miedema's semi-empirical model for the enthalpy of mixing of binary liquid alloys, in the form
 * of de Boer et al., "Cohesion in Metals" (1988):
 *
 *   dH_inter(A in B) = 2 P V_A^(2/3) / (n_A^(-1/3) + n_B^(-1/3))
 *                      * [ -(d phi*)^2 + (Q/P) (d n_ws^(1/3))^2 - R/P ]
 *   dH_mix(x_A)      = x_A * c_B^s * dH_inter(A in B),   c_B^s = x_B V_B^(2/3) / sum_i x_i V_i^(2/3)
 *
 * with Q/P = 9.4, P = 14.1 (both transition metals), 10.6 (neither) or 12.35 (one of each), and
 * R/P = 0.73 R*_A R*_B for a transition/non-transition pair in the liquid (0 otherwise). The liquid
 * is taken as a random mixture (no short-range-order correction), the volume contraction by
 * charge transfer and the transformation enthalpy of non-metals are left out; this is the
 * recipe behind the equiatomic table of Takeuchi & Inoue (Mater. Trans. 46 (2005) 2817).
 */
import { getElement, type MiedemaParameters } from './elements.js';

const Q_OVER_P = 9.4;
const P_BOTH_TRANSITION = 14.1;
const P_ONE_TRANSITION = 12.35;
const P_NO_TRANSITION = 10.6;
/** Hybridisation term is smaller in liquids than in solids. */
const LIQUID_R_FACTOR = 0.73;

function interfaceFactors(a: MiedemaParameters, b: MiedemaParameters): { p: number; bracket: number; nInvMean: number } {
  const p =
    a.transition && b.transition ? P_BOTH_TRANSITION : a.transition || b.transition ? P_ONE_TRANSITION : P_NO_TRANSITION;
  const rOverP = a.transition !== b.transition ? LIQUID_R_FACTOR * a.hybridR * b.hybridR : 0;
  const dPhi = a.phiStar - b.phiStar;
  const dN = a.nwsCubeRoot - b.nwsCubeRoot;
  const bracket = -dPhi * dPhi + Q_OVER_P * dN * dN - rOverP;
  const nInvMean = (1 / a.nwsCubeRoot + 1 / b.nwsCubeRoot) / 2;
  return { p, bracket, nInvMean };
}

/**
 * Miedema enthalpy of mixing of the liquid A_x B_(1-x), kJ per mole of atoms.
 * `xA` is the atomic fraction of A (0..1).
 */
export function miedemaLiquidEnthalpy(a: string, b: string, xA: number): number {
  if (!(xA >= 0 && xA <= 1)) throw new RangeError(`Atomic fraction must be in [0, 1], got ${xA}`);
  const pa = getElement(a).miedema;
  const pb = getElement(b).miedema;
  if (a === b || xA === 0 || xA === 1) return 0;
  const { p, bracket, nInvMean } = interfaceFactors(pa, pb);
  const interfaceEnthalpyAinB = (p * pa.molarVolume23 * bracket) / nInvMean;
  const xB = 1 - xA;
  const surfaceFractionB = (xB * pb.molarVolume23) / (xA * pa.molarVolume23 + xB * pb.molarVolume23);
  return xA * surfaceFractionB * interfaceEnthalpyAinB;
}

/**
 * The equiatomic value dH_mix(x = 0.5), kJ/mol: the quantity Takeuchi & Inoue tabulate as
 * dH^mix_AB, which enters the regular-solution estimate dH_mix = sum_{i<j} 4 dH^mix_ij c_i c_j.
 */
export function miedemaEquiatomicEnthalpy(a: string, b: string): number {
  return miedemaLiquidEnthalpy(a, b, 0.5);
}
