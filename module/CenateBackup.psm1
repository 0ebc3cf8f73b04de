# Loader: imports the cmdlet assembly. Its IModuleAssemblyInitializer sends CenateBackup.Core and every
# third-party dependency (bin/deps) into a private AssemblyLoadContext, so other modules' versions of
# Npgsql, Docker.DotNet or Microsoft.Extensions.* cannot clash with ours.
$binary = Join-Path -Path $PSScriptRoot -ChildPath 'bin/CenateBackup.PowerShell.dll'
$inner = Import-Module -Name $binary -PassThru -ErrorAction Stop
$ExecutionContext.SessionState.Module.OnRemove = {
    Remove-Module -ModuleInfo $inner -Force -ErrorAction SilentlyContinue
}.GetNewClosure()
