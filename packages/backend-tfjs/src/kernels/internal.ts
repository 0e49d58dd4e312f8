/** Domain of the ops the compiler introduces (never found in a model file). */
export const INTERNAL_DOMAIN = 'com.samclip.tfjs';
