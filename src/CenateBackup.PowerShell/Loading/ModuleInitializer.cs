using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace CenateBackup.PowerShell.Loading;

/// <summary>
/// Runs when the module is imported: points the default load context at our private context for
/// CenateBackup.Core, the only assembly the cmdlets reference directly. Everything Core needs is then
/// resolved inside the private context.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string s_depsDirectory = Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps");
    private static readonly CenateLoadContext s_context = new(s_depsDirectory);
    private const string CoreAssemblyName = "CenateBackup.Core";

    /// <summary>The private load context (tests check where assemblies came from).</summary>
    internal static AssemblyLoadContext Context => s_context;

    /// <inheritdoc />
    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveCore;

    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveCore;

    private static Assembly? ResolveCore(AssemblyLoadContext defaultContext, AssemblyName name) =>
        name.Name == CoreAssemblyName ? s_context.LoadFromAssemblyName(name) : null;
}
