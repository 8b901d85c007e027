// The packages the bundle leaves out because they load native addons from their own directories: the build marks
// them external, the install copies them (with what they depend on) next to the bundle.
export const NATIVE_PACKAGES = ['koffi', 'lzma-native'];
