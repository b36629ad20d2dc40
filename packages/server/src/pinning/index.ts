export { managedTrustRoots, PinSet, type PinSetView, spkiPin } from './pin-set.ts';
export { PIN_SET_TYP, PINS_PATH, pinningRoutes, registerPinningAdminRoutes } from './routes.ts';
