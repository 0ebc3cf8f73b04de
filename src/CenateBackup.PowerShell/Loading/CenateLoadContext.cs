using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace CenateBackup.PowerShell.Loading;

/// <summary>
/// The load context for Core and its dependencies (Npgsql, Docker.DotNet, Microsoft.Extensions.*),
/// so that other modules' versions of those assemblies, loaded in the default context, cannot break ours
/// and ours cannot break theirs. Anything not in bin/deps falls back to the default context (the framework,
/// System.Management.Automation).
/// </summary>
internal sealed class CenateLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    public CenateLoadContext(string directory) : base("CenateBackup", isCollectible: false) => _directory = directory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // A satellite (es/CenateBackup.Core.resources.dll, the Spanish texts) lives in its culture's sub-directory.
        var directory = string.IsNullOrEmpty(assemblyName.CultureName) ? _directory : Path.Combine(_directory, assemblyName.CultureName);
        var path = Path.Combine(directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(_directory, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
