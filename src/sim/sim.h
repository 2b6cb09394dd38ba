// Sphere's scenario engine: counter-based random numbers (rng.h), the monthly dynamics of a model
// (engine.h: relations, self-exciting events, leverage tools, trade and gas), ensembles of
// trajectories whose results do not depend on the thread count, scenario classification and
// hindcasts (ensemble.h), and sensitivity analysis (sensitivity.h: Morris, Sobol). docs/MODEL.md
// gives every equation. Other layers include this header.
#pragma once

#include "sim/engine.h"
#include "sim/ensemble.h"
#include "sim/rng.h"
#include "sim/sensitivity.h"
