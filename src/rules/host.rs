//! The hardened Rhai host: one place that builds and limits the engine every operator script
//! runs in, and turns every script failure into a [`ScriptError`] carrying file, line and column.
//!
//! Limits: operation budget, call depth, expression depths, string/array/map sizes, a
//! wall-clock deadline per evaluation, `eval` disabled, strict variables, failing on missing
//! map properties, imports only from the policy library directory (no absolute paths, no
//! `..`), and `print`/`debug` routed to `tracing`.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rhai::module_resolvers::FileModuleResolver;
use rhai::{AST, Dynamic, Engine, EvalAltResult, FuncArgs, ParseError, Position, Scope};

/// The bounds every script runs within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most operations one evaluation may perform.
    pub max_operations: u64,
    /// Deepest function-call nesting.
    pub max_call_levels: usize,
    /// Deepest expression nesting at global level.
    pub max_expr_depth: usize,
    /// Deepest expression nesting inside functions.
    pub max_fn_expr_depth: usize,
    /// Longest string, in bytes.
    pub max_string_size: usize,
    /// Largest array.
    pub max_array_size: usize,
    /// Largest object map.
    pub max_map_size: usize,
    /// Wall-clock time one evaluation may take.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 200_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_fn_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            deadline: Duration::from_millis(250),
        }
    }
}

/// A script that failed to compile or run, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScriptError {
    /// The script file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ScriptError {
    /// `FILE:LINE:COL: message` (line and column omitted when unknown).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl ScriptError {
    fn at(file: &Path, pos: Position, message: String) -> ScriptError {
        ScriptError { file: file.to_path_buf(), line: pos.line(), column: pos.position(), message }
    }

    fn from_parse(file: &Path, err: ParseError) -> ScriptError {
        ScriptError::at(file, err.position(), err.err_type().to_string())
    }

    fn from_eval(file: &Path, err: &EvalAltResult) -> ScriptError {
        let message = match err {
            EvalAltResult::ErrorTerminated(..) => "evaluation exceeded its wall-clock deadline".to_string(),
            EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
            other => {
                let text = other.to_string();
                // Rhai appends " (line L, position C)"; the position is reported separately.
                text.split(" (line ").next().unwrap_or(&text).to_string()
            }
        };
        ScriptError::at(file, err.position(), message)
    }
}

/// The one hardened engine; scripts are compiled once and called many times.
pub struct Host {
    engine: Engine,
    clock_base: Instant,
    deadline_ns: Arc<AtomicU64>,
    limits: Limits,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// How often (in operations) the deadline is checked.
const DEADLINE_CHECK_EVERY: u64 = 256;

impl Host {
    /// Builds the hardened engine. Scripts may `import` only modules under `lib_dir`.
    pub fn new(lib_dir: &Path, limits: Limits) -> Host {
        let clock_base = Instant::now();
        let deadline_ns = Arc::new(AtomicU64::new(u64::MAX));
        let mut engine = Engine::new();
        harden(&mut engine, lib_dir, &limits, clock_base, Arc::clone(&deadline_ns));
        Host { engine, clock_base, deadline_ns, limits }
    }

    /// The engine, for registering the typed API.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Compiles a script; `file` names it in errors.
    pub fn compile(&self, file: &Path, source: &str) -> Result<AST, ScriptError> {
        let mut ast = self.engine.compile(source).map_err(|e| ScriptError::from_parse(file, e))?;
        ast.set_source(file.display().to_string());
        Ok(ast)
    }

    /// Runs a compiled script's top level (its declarations) and returns the scope it leaves.
    pub fn run(&self, file: &Path, ast: &AST) -> Result<Scope<'static>, ScriptError> {
        let mut scope = Scope::new();
        self.arm_deadline();
        let result = self.engine.run_ast_with_scope(&mut scope, ast);
        self.disarm_deadline();
        result.map_err(|e| ScriptError::from_eval(file, &e))?;
        Ok(scope)
    }

    /// Calls a script function and converts its result, failing closed on any error or on a
    /// return value of the wrong type.
    pub fn call<T: Clone + Send + Sync + 'static>(
        &self,
        file: &Path,
        ast: &AST,
        name: &str,
        args: impl FuncArgs,
    ) -> Result<T, ScriptError> {
        let mut scope = Scope::new();
        self.arm_deadline();
        // The top level (imports, constants) is evaluated before the function runs.
        let result = self.engine.call_fn::<Dynamic>(&mut scope, ast, name, args);
        self.disarm_deadline();
        let value = result.map_err(|e| ScriptError::from_eval(file, &e))?;
        let type_name = value.type_name();
        value.try_cast::<T>().ok_or_else(|| ScriptError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            message: format!("{name}() returned {type_name}, expected {}", std::any::type_name::<T>()),
        })
    }

    /// True when the script defines `name` taking `arity` parameters.
    pub fn defines(ast: &AST, name: &str, arity: usize) -> bool {
        ast.iter_functions().any(|f| f.name == name && f.params.len() == arity)
    }

    /// The engine, read-only (for definitions).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn arm_deadline(&self) {
        let until = self.clock_base.elapsed() + self.limits.deadline;
        self.deadline_ns.store(u64::try_from(until.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn disarm_deadline(&self) {
        self.deadline_ns.store(u64::MAX, Ordering::Relaxed);
    }
}

/// Applies every limit to `engine`. The only place the sandbox is configured.
fn harden(engine: &mut Engine, lib_dir: &Path, limits: &Limits, clock_base: Instant, deadline_ns: Arc<AtomicU64>) {
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_fn_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(16)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        .disable_symbol("eval")
        .set_module_resolver(LibResolver { inner: FileModuleResolver::new_with_path(lib_dir) })
        .on_print(|text| tracing::info!(target: "script", "{text}"))
        .on_debug(|text, source, pos| tracing::debug!(target: "script", "{}:{pos}: {text}", source.unwrap_or("?")))
        .on_progress(move |ops| {
            if ops % DEADLINE_CHECK_EVERY == 0 {
                let now = u64::try_from(clock_base.elapsed().as_nanos()).unwrap_or(u64::MAX);
                if now > deadline_ns.load(Ordering::Relaxed) {
                    return Some(Dynamic::UNIT);
                }
            }
            None
        });
}

/// Resolves `import "name"` to `lib_dir/name.rhai`, refusing absolute paths and `..`.
struct LibResolver {
    inner: FileModuleResolver,
}

impl rhai::ModuleResolver for LibResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<rhai::Shared<rhai::Module>, Box<EvalAltResult>> {
        let escapes = Path::new(path).components().any(|c| !matches!(c, Component::Normal(_)));
        if escapes {
            let message = format!("import `{path}` refused: imports must name a module inside policies/lib");
            return Err(Box::new(EvalAltResult::ErrorRuntime(message.into(), pos)));
        }
        let _ = source; // always relative to the library directory, never to the importing file
        self.inner.resolve(engine, None, path, pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> (tempfile::TempDir, Host) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("helpers.rhai"), "fn double(x) { x * 2 }").unwrap();
        let host = Host::new(dir.path(), Limits::default());
        (dir, host)
    }

    fn run_main(host: &Host, src: &str) -> Result<i64, ScriptError> {
        let file = Path::new("policies/test.rhai");
        let ast = host.compile(file, src)?;
        host.call::<i64>(file, &ast, "main", ())
    }

    #[test]
    fn runs_a_function_and_imports_from_lib() {
        let (_dir, host) = host();
        assert_eq!(run_main(&host, "import \"helpers\" as h; fn main() { h::double(21) }").unwrap(), 42);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let (_dir, host) = host();
        let err = run_main(&host, "fn main() {\n  let x = ;\n}").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(11)), "{err}");
        assert!(err.to_string().starts_with("policies/test.rhai:2:11: "), "{err}");
    }

    #[test]
    fn runaway_scripts_are_stopped() {
        let (_dir, host) = host();
        let looping = run_main(&host, "fn main() { let x = 0; loop { x += 1; } }").unwrap_err();
        assert!(looping.message.contains("operations") || looping.message.contains("deadline"), "{looping}");
        let recursion = run_main(&host, "fn f(n) { f(n + 1) } fn main() { f(0) }").unwrap_err();
        assert!(
            recursion.message.to_lowercase().contains("stack") || recursion.message.contains("call"),
            "{recursion}"
        );
        let huge = run_main(&host, "fn main() { let s = \"x\"; loop { s += s; } }").unwrap_err();
        assert!(huge.message.to_lowercase().contains("length") || huge.message.contains("size"), "{huge}");
    }

    #[test]
    fn deadline_stops_slow_scripts_under_a_large_budget() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits { max_operations: 0, deadline: Duration::from_millis(20), ..Limits::default() };
        let host = Host::new(dir.path(), limits);
        let err = run_main(&host, "fn main() { loop { } }").unwrap_err();
        assert_eq!(err.message, "evaluation exceeded its wall-clock deadline");
    }

    #[test]
    fn sandbox_refuses_eval_imports_and_unknowns() {
        let (_dir, host) = host();
        assert!(run_main(&host, "fn main() { eval(\"1\") }").is_err());
        let abs = run_main(&host, "import \"/etc/passwd\" as p; fn main() { 1 }").unwrap_err();
        assert!(abs.message.contains("inside policies/lib"), "{abs}");
        let up = run_main(&host, "import \"../secrets\" as p; fn main() { 1 }").unwrap_err();
        assert!(up.message.contains("inside policies/lib"), "{up}");
        assert!(run_main(&host, "fn main() { undefined_var }").is_err(), "strict variables");
        assert!(run_main(&host, "fn main() { let m = #{a: 1}; m.b }").is_err(), "missing map property");
        assert!(run_main(&host, "fn main() { let t = timestamp(); 1 }").is_err(), "no clock (rhai no_time)");
    }

    #[test]
    fn wrong_return_type_and_runtime_type_errors() {
        let (_dir, host) = host();
        let wrong = run_main(&host, "fn main() { \"ten\" }").unwrap_err();
        assert!(wrong.message.contains("main() returned string"), "{wrong}");
        let runtime = run_main(&host, "fn main() {\n  1 + \"a\" * 2\n}").unwrap_err();
        assert_eq!(runtime.line, Some(2), "{runtime}");
        assert!(run_main(&host, "fn other() { 1 }").unwrap_err().message.contains("main"), "missing function");
    }
}
