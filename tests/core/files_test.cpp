// Atomic writes and directory locks, as concurrent writers and failing writers meet them.
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/core.h"
#include "testing.h"

namespace sphere {
namespace {

using sphere::testing::read_file;
using sphere::testing::TempDir;

int entries(const std::filesystem::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, CommitReplacesTheTargetAndLeavesNoTemporary) {
  TempDir dir;
  const auto target = dir.path() / "out.txt";
  write_file_atomically(target, "old\n");
  ::chmod(target.c_str(), 0640);
  {
    AtomicFile file(target);
    file.write("new ");
    file.write("text\n");
    EXPECT_EQ(read_file(target), "old\n");  // unchanged until commit
    EXPECT_EQ(entries(dir.path()), 2);
    file.commit();
  }
  EXPECT_EQ(read_file(target), "new text\n");
  EXPECT_EQ(entries(dir.path()), 1);
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // the replaced file's permissions are kept
}

TEST(AtomicFile, AFailedWriteLeavesTheTargetAndNoTemporary) {
  TempDir dir;
  const auto target = dir.path() / "out.txt";
  write_file_atomically(target, "kept\n");
  try {
    AtomicFile file(target);
    file.write("half of a new ");
    throw std::runtime_error("the writer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read_file(target), "kept\n");
  EXPECT_EQ(entries(dir.path()), 1);
  // A target in a missing directory fails with its name, before anything is written.
  try {
    AtomicFile file(dir.path() / "missing" / "x.txt");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.txt"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, TwoWritersOfOneTargetUseDifferentTemporaries) {
  TempDir dir;
  const auto target = dir.path() / "out.txt";
  AtomicFile a(target), b(target);
  EXPECT_NE(a.temporary(), b.temporary());
  a.write("a\n");
  b.write("b\n");
  a.commit();
  b.commit();
  EXPECT_EQ(read_file(target), "b\n");  // the last commit wins, whole
  EXPECT_EQ(entries(dir.path()), 1);
}

TEST(DirectoryLock, ASecondLockWaitsForTheFirst) {
  TempDir dir;
  std::atomic<bool> second_held{false};
  std::thread other;
  {
    DirectoryLock first(dir.path(), "");
    other = std::thread([&] {
      DirectoryLock second(dir.path(), "");  // its own descriptor: flock makes it wait
      second_held = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(second_held.load());
  }
  other.join();
  EXPECT_TRUE(second_held.load());
  EXPECT_THROW(DirectoryLock(dir.path() / "missing", ""), std::runtime_error);
}

TEST(FirstMissing, IsTheShortestPartOfThePathThatDoesNotExist) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a" / "b");
  std::ofstream(dir.path() / "a" / "b" / "f.csv") << "x";
  EXPECT_EQ(first_missing(dir.path() / "a" / "b" / "f.csv"), std::filesystem::path());
  EXPECT_EQ(first_missing(dir.path() / "a" / "b" / "g.csv"), dir.path() / "a" / "b" / "g.csv");
  EXPECT_EQ(first_missing(dir.path() / "a" / "c" / "d" / "f.csv"), dir.path() / "a" / "c");
}

}  // namespace
}  // namespace sphere
