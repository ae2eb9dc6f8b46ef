// Checked HDF5/MPI calls, HDF5 error-stack capture and attribute writing for the h5 stage.
#include "h5_detail.hpp"

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "dumpmill/h5/h5_error.hpp"

namespace dumpmill::h5::detail {
namespace {

// At most this many stack entries go into a message: the innermost few say why, the rest
// only repeat the call chain up to the API function.
constexpr int kMaxStackEntries = 6;

struct StackText {
  std::string text;
  int entries = 0;
};

herr_t append_stack_entry(unsigned /*n*/, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<StackText*>(client);
  if (out->entries >= kMaxStackEntries) return 0;
  if (out->entries > 0) out->text += " <- ";
  ++out->entries;
  char minor[128] = {};
  if (H5Eget_msg(err->min_num, nullptr, minor, sizeof minor) < 0) minor[0] = '\0';
  out->text += (err->desc != nullptr && err->desc[0] != '\0') ? err->desc : minor;
  if (minor[0] != '\0' && err->desc != nullptr && std::string_view(err->desc) != minor) {
    out->text += " (";
    out->text += minor;
    out->text += ')';
  }
  if (err->func_name != nullptr) {
    out->text += " in ";
    out->text += err->func_name;
  }
  return 0;
}

}  // namespace

void silence_hdf5_errors() noexcept { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void throw_h5(const Where& where, std::string_view operation) {
  StackText stack;
  // UPWARD: from the innermost function that detected the error out to the API call.
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, append_stack_entry, &stack) < 0 ||
      stack.entries == 0) {
    stack.text = "no HDF5 error stack";
  }
  H5Eclear2(H5E_DEFAULT);
  std::string message(operation);
  message += " failed: ";
  message += stack.text;
  throw H5Error(where.path, where.object, message);
}

void check_mpi(int rc, const Where& where, std::string_view operation) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  std::string message(operation);
  message += " failed: MPI error ";
  message += std::to_string(rc);
  if (length > 0) {
    message += ": ";
    message.append(text, static_cast<std::size_t>(length));
  }
  throw H5Error(where.path, where.object, message);
}

std::uint64_t digest(std::string_view bytes, std::uint64_t seed) noexcept {
  std::uint64_t h = seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

void agree(MPI_Comm comm, std::string_view problem, std::uint64_t args_digest, const Where& where,
           std::string_view operation) {
  // max(bad), max(d), max(~d) = ~min(d): one reduction tells "any bad" and "all equal".
  std::uint64_t words[3] = {problem.empty() ? 0U : 1U, args_digest, ~args_digest};
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, words, 3, MPI_UINT64_T, MPI_MAX, comm), where,
            "MPI_Allreduce (argument check)");
  if (words[0] != 0) {
    std::string message(operation);
    message += ": invalid arguments on at least one rank";
    if (!problem.empty()) {
      message += "; this rank: ";
      message += problem;
    }
    throw H5Error(where.path, where.object, message);
  }
  if (words[1] != ~words[2]) {
    std::string message(operation);
    message += ": arguments differ between ranks (a collective call needs identical arguments)";
    throw H5Error(where.path, where.object, message);
  }
}

// std::visit throws only for a valueless variant, and an AttributeValue is never valueless
// (its alternatives do not throw on construction).
// NOLINTNEXTLINE(bugprone-exception-escape)
std::uint64_t digest(std::string_view name, const AttributeValue& value) noexcept {
  std::uint64_t h = digest(name);
  h = digest(std::string_view("\0", 1), h);
  h ^= value.index() * 0x9E3779B97F4A7C15ULL;
  std::visit(
      [&h](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          h = digest(v, h);
        } else {
          char raw[sizeof v];
          std::memcpy(raw, &v, sizeof v);
          h = digest(std::string_view(raw, sizeof raw), h);
        }
      },
      value);
  return h;
}

std::string attribute_problem(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string_view>(&value);
      s != nullptr && s->find('\0') != std::string_view::npos) {
    return "string attribute value contains a NUL byte (HDF5 strings are NUL-terminated)";
  }
  return {};
}

Handle utf8_string_type(const Where& where) {
  Handle type = make_handle(H5Tcopy(H5T_C_S1), HandleKind::kDatatype, where, "H5Tcopy");
  check(H5Tset_size(type.get(), H5T_VARIABLE), where, "H5Tset_size");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "H5Tset_cset");
  return type;
}

namespace {

void remove_existing_attribute(hid_t obj, const std::string& name, const Where& where) {
  const htri_t exists = H5Aexists(obj, name.c_str());
  check(exists, where, "H5Aexists");
  if (exists > 0) check(H5Adelete(obj, name.c_str()), where, "H5Adelete");
}

}  // namespace

void write_attribute(hid_t obj, std::string_view name, const AttributeValue& value,
                     const Where& where) {
  const std::string attr_name(name);
  const Where at{where.path, where.object + " attribute '" + attr_name + "'"};
  remove_existing_attribute(obj, attr_name, at);
  Handle space = make_handle(H5Screate(H5S_SCALAR), HandleKind::kDataspace, at, "H5Screate");
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          Handle type = utf8_string_type(at);
          Handle attr = make_handle(
              H5Acreate2(obj, attr_name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              HandleKind::kAttribute, at, "H5Acreate2");
          const std::string text(v);
          const char* ptr = text.c_str();
          check(H5Awrite(attr.get(), type.get(), &ptr), at, "H5Awrite");
          check(attr.close(), at, "H5Aclose");
        } else {
          hid_t file_type = H5T_IEEE_F64LE;
          hid_t mem_type = H5T_NATIVE_DOUBLE;
          if constexpr (std::is_same_v<T, std::uint64_t>) {
            file_type = H5T_STD_U64LE;
            mem_type = H5T_NATIVE_UINT64;
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            file_type = H5T_STD_I64LE;
            mem_type = H5T_NATIVE_INT64;
          }
          Handle attr = make_handle(
              H5Acreate2(obj, attr_name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              HandleKind::kAttribute, at, "H5Acreate2");
          check(H5Awrite(attr.get(), mem_type, &v), at, "H5Awrite");
          check(attr.close(), at, "H5Aclose");
        }
      },
      value);
}

void write_string_array_attribute(hid_t obj, std::string_view name,
                                  std::span<const std::string> values, const Where& where) {
  const std::string attr_name(name);
  const Where at{where.path, where.object + " attribute '" + attr_name + "'"};
  remove_existing_attribute(obj, attr_name, at);
  const hsize_t dims[1] = {values.size()};
  Handle space = make_handle(H5Screate_simple(1, dims, nullptr), HandleKind::kDataspace, at,
                             "H5Screate_simple");
  Handle type = utf8_string_type(at);
  Handle attr = make_handle(
      H5Acreate2(obj, attr_name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      HandleKind::kAttribute, at, "H5Acreate2");
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  // An empty array still needs a valid buffer pointer.
  const char* none = "";
  check(H5Awrite(attr.get(), type.get(), pointers.empty() ? &none : pointers.data()), at,
        "H5Awrite");
  check(attr.close(), at, "H5Aclose");
}

}  // namespace dumpmill::h5::detail
