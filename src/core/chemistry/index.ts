/** The chemistry core: element data, pair enthalpies, compositions and descriptors. */
export * from './types.js';
export * from './elements.js';
export * from './miedema.js';
export * from './mixing-enthalpy.js';
export * from './composition.js';
export * from './descriptors.js';
