// Sphere's event analytics: CAMEO QuadClass under a named scheme, country codes and names mapped
// to actor ids, dyadic monthly series, streaming GDELT 1.0/2.0 and ICEWS importers, and
// exponential-kernel Hawkes processes fitted by maximum likelihood. See docs/MODEL.md.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "kb/kb.h"

namespace sphere::events {

// ---------------------------------------------------------------------------------------------
// Codes

// QuadClass of a CAMEO code's root under a named scheme. Classes are 1 verbal cooperation,
// 2 material cooperation, 3 verbal conflict, 4 material conflict; 0 is "neutral" (Phoenix only).
class QuadScheme {
 public:
  // "gdelt" (01-05 -> 1, 06-09 -> 2, 10-14 -> 3, 15-20 -> 4) or "phoenix" (01-02 -> 0, 03-05 -> 1,
  // 06-08 -> 2, 09-13 and 16 -> 3, 14, 15, 17-20 -> 4). nullptr for another name.
  static const QuadScheme* find(std::string_view name);
  static const QuadScheme& gdelt();
  // Names of every scheme, for help texts.
  static std::vector<std::string> names();

  const std::string& name() const { return name_; }
  // The class of a CAMEO code ("0314" -> root 03), or -1 when its root is not 01..20.
  int classify(std::string_view code) const;

 private:
  QuadScheme(std::string name, std::array<int, 21> by_root) : name_(std::move(name)), by_root_(by_root) {}
  std::string name_;
  std::array<int, 21> by_root_;  // index = root 1..20
};

// Human label of a QuadClass (0..4).
std::string_view quad_label(int quad);

// CAMEO country and group codes and ICEWS country names mapped to Sphere actor ids
// (data/cameo/countries.csv). A CAMEO code not in the table stands for itself, since Sphere's
// state ids are CAMEO country codes.
class CountryTable {
 public:
  // Parses countries.csv text (columns cameo,actor,name,other_names); throws InputError.
  static CountryTable parse(std::string_view csv_text, const std::string& file);
  // The table built into the binary.
  static CountryTable builtin();

  // The actor id for a CAMEO country or group code ("" stays "").
  std::string_view actor_for_code(std::string_view cameo) const;
  // The actor id for a full country name (CAMEO label or ICEWS name, ASCII case-insensitive),
  // or nullptr when the name is not in the table.
  const std::string* actor_for_name(std::string_view name) const;

  struct Entry {
    std::string cameo, actor, name;
    std::vector<std::string> other_names;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::map<std::string, std::string, std::less<>> by_code_, by_name_;
};

// CAMEO actor-type codes (GOV, MIL, MED, BUS, ...) of a country's actor mapped to the model's
// sub-actor of that type (data/cameo/types.csv): (RUS, MED) -> RUS_MEDIA. A (country, type)
// without a row stays the country's actor.
class TypeTable {
 public:
  // Parses types.csv text (columns country,type,actor,note); throws InputError.
  static TypeTable parse(std::string_view csv_text, const std::string& file);
  // The table built into the binary.
  static TypeTable builtin();

  // The sub-actor of `actor` for CAMEO type code `type`, or `actor` itself when none.
  std::string_view actor_for(std::string_view actor, std::string_view type) const;

  struct Entry {
    std::string country, type, actor, note;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::map<std::pair<std::string, std::string>, std::string, std::less<>> by_pair_;
};

// ---------------------------------------------------------------------------------------------
// Events and dyadic monthly series

// One event as the series and importers see it. Views point into the reader's buffer and are
// valid only during EventSink::add().
struct EventView {
  Date date;                        // day precision for imported rows
  std::string_view actor1, actor2;  // Sphere actor ids; empty when the row names none
  std::string_view country1, country2;  // the source's own country fields, as written
  std::string_view code;            // CAMEO event code
  double goldstein = 0.0;
  int quad = 0;
  bool root_event = true;           // GDELT IsRootEvent; true where the source has no such flag
  // Imported rows: the row's own id (GDELT GLOBALEVENTID, ICEWS Event ID) and where it was
  // coded from (GDELT SOURCEURL, ICEWS Story ID); empty when the row has none. Set only on the
  // rows an importer keeps.
  std::string_view record_id, reference;
};

// Receives the events an importer keeps.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void add(const EventView& event) = 0;
};

// Counts and sums for one ordered dyad in one month.
struct MonthCell {
  int month = 0;                 // Date::month_index()
  std::array<int, 5> quad{};     // events per QuadClass 0..4
  int events = 0;
  double goldstein = 0.0;        // sum of Goldstein values
  double cooperation = 0.0;      // sum of the positive Goldstein values
  double conflict = 0.0;         // sum of the negative Goldstein values (<= 0)
  // Net cooperation: cooperative-class events minus conflictual-class events (N1+N2-N3-N4).
  int net() const { return quad[1] + quad[2] - quad[3] - quad[4]; }
};

// A dyad's monthly series over a range of months, every month present (zeros where none).
struct DyadSeries {
  std::string actor1, actor2;
  std::vector<MonthCell> months;
};

// How events become series.
struct SeriesOptions {
  bool deduplicate = true;  // one event per (date, actor1, actor2, code), as analysts do
  bool root_only = false;   // keep only GDELT root events
};

// Aggregates events into ordered-dyad monthly cells; memory grows with the number of distinct
// (dyad, month) cells and, when deduplicating, distinct (date, dyad, code) keys kept.
class SeriesBuilder : public EventSink {
 public:
  explicit SeriesBuilder(SeriesOptions options = {}) : options_(options) {}
  void add(const EventView& event) override;

  // The series of actor1 -> actor2 over months [from, to] (month indexes), zeros filled in.
  DyadSeries series(const std::string& actor1, const std::string& actor2, int from, int to) const;
  // Every ordered dyad seen, each over its own first..last month.
  std::vector<DyadSeries> all() const;
  // First and last month with an event between a and b in either direction; nullopt if none.
  std::optional<std::pair<int, int>> span(const std::string& a, const std::string& b) const;

  long long added() const { return added_; }
  long long duplicates() const { return duplicates_; }
  long long one_sided() const { return one_sided_; }    // an actor missing: not in any dyad
  long long not_day_or_month() const { return coarse_; }  // dated to a year only
  // Events of actor1 -> actor2 dated to a year only, by year (MonthCell::month holds the year):
  // they belong to no month, so they are reported beside the series, never spread over it.
  std::map<int, MonthCell> year_only(const std::string& actor1, const std::string& actor2) const;

 private:
  SeriesOptions options_;
  std::map<std::pair<std::string, std::string>, std::map<int, MonthCell>> cells_, years_;
  std::vector<std::uint64_t> seen_;  // open-addressing hash set of event keys (0 = empty)
  std::size_t seen_count_ = 0;
  long long added_ = 0, duplicates_ = 0, one_sided_ = 0, coarse_ = 0;
  bool insert_key(std::uint64_t key);
};

// Passes each event on once: a later event with the same (date, actor1, actor2, code) is
// dropped and counted. Memory grows with the number of distinct keys passed on.
class Deduplicator : public EventSink {
 public:
  explicit Deduplicator(EventSink& next) : next_(next) {}
  void add(const EventView& event) override;
  long long duplicates() const { return duplicates_; }

 private:
  EventSink& next_;
  std::vector<std::uint64_t> seen_;
  std::size_t seen_count_ = 0;
  long long duplicates_ = 0;
};

// Actor ids as the series use them: every actor replaced by the actor it ultimately belongs to
// (PUTIN -> RUS, SOCAR -> AZE), so that a state dyad gathers its persons and organisations.
std::string top_affiliation(const kb::Model& model, const std::string& actor_id);

// Feeds the model's event log to `sink` (actors rolled up to their top affiliation when
// `roll_up`). Events dated to a year only are passed too; SeriesBuilder counts and skips them.
void feed_model_events(const kb::Model& model, const QuadScheme& scheme, bool roll_up,
                       EventSink& sink);

// ---------------------------------------------------------------------------------------------
// Importers

// Which rows an importer keeps.
struct ImportFilter {
  std::vector<std::string> actors;  // keep a row when either actor is one of these (empty: all)
  std::vector<std::pair<std::string, std::string>> dyads;  // ... or it is a or b between a, b
  std::optional<Date> from, to;     // inclusive day range on the event date
  bool root_only = false;           // GDELT: IsRootEvent == 1
};

// What an import saw. Bad rows are skipped and counted by reason with their first line.
struct ImportReport {
  struct Reason {
    long long count = 0;
    long long first_line = 0;
    std::string example;  // what was wrong at the first line
  };
  long long lines = 0, kept = 0, filtered_out = 0, bad = 0;
  std::map<int, long long> layouts;       // GDELT: rows by column count (57, 58, 61)
  std::map<std::string, Reason> reasons;  // bad rows by reason
  std::map<std::string, Reason> skipped;  // rows skipped without being wrong (unmapped names)
  long long bytes = 0;
};

struct ImportOptions {
  ImportFilter filter;
  const QuadScheme* scheme = nullptr;  // nullptr: gdelt
  bool strict = false;                 // throw InputError at the first bad row
  // GDELT: kept rows' actors refined by Actor1Type1Code / Actor2Type1Code through this table
  // (after the filter, which sees the country actors); nullptr: country actors only.
  const TypeTable* types = nullptr;
  std::size_t buffer_bytes = 4 << 20;  // read buffer; also the longest line accepted
  bool baseline_simd = false;          // GDELT: SSE2 splitter even where AVX2 exists (tests both)
};

// Streams GDELT events (2.0: 61 columns; 1.0: 57 or 58), detecting the layout per row, from an
// open file descriptor until end of file. `label` names the input in messages. Every kept row is
// checked: date, event code in the codebook, Goldstein and QuadClass equal to the code's.
ImportReport import_gdelt(int fd, const std::string& label, const kb::Codebook& codebook,
                          const CountryTable& countries, const ImportOptions& options,
                          EventSink& sink);

// Streams ICEWS coded events (tab-separated, header line naming the columns; countries as full
// names mapped through `countries`).
ImportReport import_icews(int fd, const std::string& label, const kb::Codebook& codebook,
                          const CountryTable& countries, const ImportOptions& options,
                          EventSink& sink);

// Writes kept events as CSV (date,actor1,actor2,cameo,goldstein,quad) to a file descriptor,
// buffered; the format read_event_csv() reads back.
class CsvEventWriter : public EventSink {
 public:
  explicit CsvEventWriter(int fd);
  // To a stream (a front end's standard output); write errors set its state.
  explicit CsvEventWriter(std::ostream& out);
  ~CsvEventWriter() override;
  void add(const EventView& event) override;
  void flush();

 private:
  int fd_ = -1;
  std::ostream* stream_ = nullptr;
  std::string buffer_;
};

// Appends kept events to a model's event log (events.csv, docs/DATA.md) in the model's own
// format: id "<prefix>-<record id>", day date, actors, code, the codebook's Goldstein value and
// description, source `source_id` (a data-set source) quoted by the row's reference, confidence
// "low" (machine-coded, unchecked). Events the log cannot take are skipped and counted.
class ModelLogWriter : public EventSink {
 public:
  // Writes rows (no header) to `fd`; `model` gives the actors and the ids already in the log.
  ModelLogWriter(const kb::Model& model, std::string source_id, std::string prefix, int fd);
  ~ModelLogWriter() override;
  void add(const EventView& event) override;
  void flush();

  long long written() const { return written_; }
  long long not_in_model() const { return not_in_model_; }  // an actor absent from actors.toml
  long long one_sided() const { return one_sided_; }        // fewer than two actors
  long long already() const { return already_; }            // id already in the log
  long long no_record_id() const { return no_id_; }

 private:
  const kb::Model& model_;
  std::string source_id_, prefix_;
  int fd_;
  std::string buffer_;
  std::set<std::string, std::less<>> ids_;  // ids in the log, and those written
  long long written_ = 0, not_in_model_ = 0, one_sided_ = 0, already_ = 0, no_id_ = 0;
};

// A CSV field quoted as RFC 4180 requires (when it holds a comma, quote or line break).
std::string csv_field(std::string_view text);

// Reads an event CSV written by CsvEventWriter into `sink`; throws InputError on a bad row.
void read_event_csv(std::string_view text, const std::string& file, const kb::Codebook& codebook,
                    const QuadScheme& scheme, EventSink& sink);

// ---------------------------------------------------------------------------------------------
// Hawkes processes

// Event times of `streams` point processes on [0, horizon].
struct PointData {
  std::vector<std::vector<double>> times;  // per stream, ascending
  double horizon = 0.0;
};

// An exponential-kernel Hawkes process with D streams:
//   lambda_k(t) = mu_k + sum_l sum_{t^l_j < t} alpha_kl * omega_l * exp(-omega_l (t - t^l_j)).
// alpha_kl is the expected number of k-events one l-event triggers; omega_l its decay rate.
struct HawkesParams {
  std::vector<double> mu;                  // D
  std::vector<std::vector<double>> alpha;  // D x D, alpha[k][l]: l excites k
  std::vector<double> omega;               // D
  std::size_t dims() const { return mu.size(); }
};

// A fitted process with standard errors (inverse observed information) and the fit's checks.
struct HawkesFit {
  HawkesParams params, stderr_;  // stderr_ has the same shape; NaN where not identified
  double log_likelihood = 0.0;
  // Against the Poisson null (every alpha 0, mu_k = n_k / T): the likelihood-ratio statistic
  // 2 (l - l0) and its p-value from the chi-bar-squared mixture sum_j C(m, j) 2^-m chi2(j) of the
  // m = D*D excitation parameters on their bound (Self and Liang 1987).
  double log_likelihood_poisson = 0.0, lr_statistic = 0.0, lr_p_value = 1.0;
  // 95% profile-likelihood interval of each alpha[k][l]: {low, high}, where twice the drop of the
  // log-likelihood maximised over the other parameters reaches chi2(1) 0.95 = 3.841; low is 0
  // when the bound is inside, high the optimiser's bound (10) when the drop never reaches it.
  // Empty when the fit was asked for no profiles (HawkesOptions::profiles).
  std::vector<std::vector<std::array<double, 2>>> alpha_profile;
  double spectral_radius = 0.0;  // of [alpha]; < 1 for a stationary process
  // Time-rescaling goodness of fit, per stream: KS distance of the rescaled inter-event times
  // from Exp(1), and its asymptotic p-value.
  std::vector<double> ks_statistic, ks_p_value;
  std::vector<int> events;
  int iterations = 0;
  bool converged = false;
};

// log L = sum_k [ sum_i log lambda_k(t^k_i) - integral_0^T lambda_k ], by the O(n) recursion.
double hawkes_log_likelihood(const HawkesParams& params, const PointData& data);

struct HawkesOptions {
  // Profile-likelihood intervals of the excitation: one constrained fit per root-finding step
  // and alpha, most of a fit's cost (seconds on thousands of events). A caller that needs only
  // the estimates and the likelihood-ratio test (the scenario engine's calibration) turns them
  // off.
  bool profiles = true;
};

// Maximum-likelihood fit with NLopt (bounded, derivative-free BOBYQA on log-parameters), with
// the likelihood-ratio test against Poisson and (unless turned off) profile intervals of the
// excitation. Throws std::invalid_argument when a stream has fewer than 3 events.
HawkesFit fit_hawkes(const PointData& data, const HawkesOptions& options = {});

// When a fit says enough to be used (docs/MODEL.md, "minimum-information rule"): at least
// `min_events` events in every stream, the optimiser converged, excitation detected against the
// Poisson null at `level`, and a stationary process. Below `min_events` a Hawkes fit's decay and
// excitation cannot be told from a change of rate, and its standard errors and goodness-of-fit
// p-values mean little.
struct InformationRule {
  int min_events = 20;
  double level = 0.05;
};
// Empty when `fit` passes the rule; otherwise why it does not, in words.
std::string hawkes_shortfall(const HawkesFit& fit, const InformationRule& rule = {});

// Simulates the process on [0, horizon] by Ogata thinning, with draws from Random123 Philox
// keyed by `seed` (same seed, same times on every machine).
PointData simulate_hawkes(const HawkesParams& params, double horizon, std::uint64_t seed);

// Rescaled inter-event times tau_i = Lambda_k(t_i) - Lambda_k(t_{i-1}) of stream k; i.i.d.
// Exp(1) when the model is right.
std::vector<double> rescaled_times(const HawkesParams& params, const PointData& data, std::size_t k);

// Kolmogorov-Smirnov distance of a sample from Exp(1), and its asymptotic p-value.
std::pair<double, double> ks_exponential(std::vector<double> sample);

// Event days of a dyad's events as point data: stream 0 = a -> b, stream 1 = b -> a (when
// `both`), time in days from `first`; events on the same day are spread over it by a
// deterministic Philox draw so that no two share a time. Only day- and month-precision
// events count (a month-precision event is placed on the 15th).
class EventTimes : public EventSink {
 public:
  EventTimes(std::string a, std::string b, int quad_filter, std::uint64_t seed)
      : a_(std::move(a)), b_(std::move(b)), quad_(quad_filter), seed_(seed) {}
  void add(const EventView& event) override;
  // Point data for [first, last] day (days since 1970-01-01); both streams when `both`.
  PointData data(bool both, std::optional<long> first = {}, std::optional<long> last = {}) const;
  long long skipped_coarse() const { return coarse_; }

 private:
  std::string a_, b_;
  int quad_;  // -1: every class
  std::uint64_t seed_;
  std::vector<long> ab_, ba_;  // days since 1970-01-01
  long long coarse_ = 0;
};

// Days since 1970-01-01 of a day-precision date (civil calendar).
long days_from_civil(const Date& date);

}  // namespace sphere::events
