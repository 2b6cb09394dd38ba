// libFuzzer harness: the calibration file reader (dyad::calibration_from_json, calibration.json
// in a model directory) against a small dyad panel (fuzz/calibration_panel.csv, read once). The
// seed is `sphere calibrate` on that panel, so mutations pass the panel checks and reach the
// fits and anchors. A calibration is read or rejected with an InputError, never a crash.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "dyad/dyad.h"
#include "panel/panel.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sphere::panel::Panel panel = [] {
    std::ifstream in(SPHERE_FUZZ_CALIBRATION_PANEL);
    return sphere::panel::read_panel(in, "calibration_panel.csv", sphere::panel::Format::kDyadCsv,
                                     {});
  }();
  try {
    (void)sphere::dyad::calibration_from_json(
        std::string(reinterpret_cast<const char*>(data), size), "calibration.json", panel);
  } catch (const sphere::InputError&) {
  }
  return 0;
}
