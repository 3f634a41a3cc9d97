// tools/cli/app_files.cpp
#include "tools/cli/app_files.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace laurel::cli {

std::string database_path(const CliOptions& options, const ProgramInfo& info) {
  if (!options.database.empty()) return options.database;
  if (!info.default_database.empty()) return info.default_database;
  throw CommandError("no user database: pass --database path/to/db.sqlite3");
}

SecretKeyLookup find_secret_key(const CliOptions& options, const ProgramInfo& info,
                                const std::string& database) {
  SecretKeyLookup found;
  std::string path = options.secret_key_file;
  if (path.empty() && !info.secret_key_env.empty()) {
    if (const char* env = std::getenv(info.secret_key_env.c_str()); env != nullptr && *env) {
      found.key = env;
      found.source = "environment " + info.secret_key_env;
      return found;
    }
  }
  if (path.empty() && !database.empty() && !info.secret_key_file_suffix.empty()) {
    path = database + info.secret_key_file_suffix;
  }
  if (path.empty()) {
    found.error = "no secret key: pass --secret-key-file";
    return found;
  }
  found.file = path;
  found.source = "file " + path;
  std::ifstream in(path);
  if (!in) {
    struct stat st {};
    found.error = (stat(path.c_str(), &st) == 0 ? "cannot read " : "no secret key file ") + path;
    if (options.secret_key_file.empty()) {
      found.error += " (the server writes one on its first start; or pass --secret-key-file)";
    }
    return found;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  found.key = std::move(key);
  return found;
}

bool DatabaseProbe::has_table(const std::string& name) const {
  return std::find(tables.begin(), tables.end(), name) != tables.end();
}

DatabaseProbe probe_database(const std::string& path) {
  DatabaseProbe probe;
  struct stat st {};
  probe.exists = stat(path.c_str(), &st) == 0;
  if (!probe.exists) return probe;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    probe.error = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close(db);
    return probe;
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    probe.error = sqlite3_errmsg(db);  // e.g. "file is not a database"
  } else {
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      probe.tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    if (rc != SQLITE_DONE) probe.error = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return probe;
}

std::shared_ptr<auth::SqliteUserStore> open_user_database(const std::string& path) {
  DatabaseProbe probe = probe_database(path);
  if (!probe.exists) {
    throw CommandError("no database at " + path +
                       " (start the server once, run Django's migrate, or pass --database)");
  }
  if (!probe.error.empty()) throw CommandError("cannot read " + path + ": " + probe.error);
  if (!probe.has_table("auth_user")) {
    throw CommandError(path + " has no auth_user table (run Django's migrate, or start the "
                              "server once)");
  }
  auth::SqliteUserStore::Options options;
  options.create_schema = false;
  options.wal = false;  // leave the journal mode of a Django project's file as it is
  return std::make_shared<auth::SqliteUserStore>(path, options);
}

}  // namespace laurel::cli
