// Launch entry points of an emulated module: EMU_EXPORT(kernel) defines
//   emu_launch_<kernel>(grid[3], block[3], args): run every block of the grid, as CUDA would
//     (args[i] points at the value of parameter i, as for cuLaunchKernel);
//   emu_signature_<kernel>(): the parameters' sizes and kinds, e.g. "8p,4v,8v"
//     (p: a pointer, v: a value), which the Python side checks each call against.
#pragma once

namespace emu {

template <typename... A, size_t... I>
void call(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
  kernel(*static_cast<std::remove_cv_t<A>*>(args[I])...);
}

template <typename... A>
void launch(void (*kernel)(A...), const unsigned* grid, const unsigned* block, void** args) {
  gridDim = {grid[0], grid[1], grid[2]};
  blockDim = {block[0], block[1], block[2]};
  size_t threads = (size_t)block[0] * block[1] * block[2];
  body = [&] { call(kernel, args, std::index_sequence_for<A...>{}); };
  for (unsigned z = 0; z < grid[2]; ++z)
    for (unsigned y = 0; y < grid[1]; ++y)
      for (unsigned x = 0; x < grid[0]; ++x) {
        blockIdx = {x, y, z};
        run_block(threads);
      }
}

template <typename... A>
std::string signature(void (*)(A...)) {
  std::string s;
  ((s += std::to_string(sizeof(A)) + (std::is_pointer_v<A> ? "p," : "v,")), ...);
  return s;
}

}  // namespace emu

#define EMU_EXPORT(name)                                                                  \
  extern "C" void emu_launch_##name(const unsigned* g, const unsigned* b, void** a) {      \
    emu::launch(name, g, b, a);                                                           \
  }                                                                                       \
  extern "C" const char* emu_signature_##name() {                                         \
    static std::string s = emu::signature(name);                                          \
    return s.c_str();                                                                     \
  }
