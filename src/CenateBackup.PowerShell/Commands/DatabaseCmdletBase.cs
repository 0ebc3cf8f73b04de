using System;
using System.Management.Automation;
using CenateBackup.Core.Targets;

namespace CenateBackup.PowerShell.Commands;

/// <summary>
/// Connection parameters shared by every cmdlet that talks to a database, in two parameter sets:
/// Container (Docker API; tools run in the container) and Host (local tools over TCP).
/// </summary>
public abstract class DatabaseCmdletBase : CenateCmdletBase
{
    /// <summary>Parameter set name: container mode.</summary>
    protected const string ContainerSet = "Container";
    /// <summary>Parameter set name: host mode.</summary>
    protected const string HostSet = "Host";

    /// <summary>Docker container running PostgreSQL.</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    [ValidateNotNullOrEmpty]
    public virtual string Container { get; set; } = DatabaseTarget.DefaultContainer;

    /// <summary>Docker endpoint (unix:///var/run/docker.sock, npipe://./pipe/docker_engine, tcp://…); default DOCKER_HOST or the platform default.</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    [ValidateNotNullOrEmpty]
    public string? DockerHost { get; set; }

    /// <summary>Container mode: reach the server over TCP at this host instead of the endpoint found through Docker (published port, host network, container address).</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    [ValidateNotNullOrEmpty]
    public string? TcpHost { get; set; }

    /// <summary>Container mode with -TcpHost: the TCP port there (default: -Port).</summary>
    [Parameter(ParameterSetName = ContainerSet)]
    [ValidateRange(1, 65535)]
    public int? TcpPort { get; set; }

    /// <summary>Server host name or address (host mode: local pg tools connect over TCP).</summary>
    [Parameter(ParameterSetName = HostSet, Mandatory = true)]
    [Alias("Host", "Server")]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>Server port (container mode: the port of the server's socket inside the container).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public virtual int Port { get; set; } = DatabaseTarget.DefaultPort;

    /// <summary>The database server's port (New-CenateStandby, whose -Port is the standby's, takes it from -PrimaryPort).</summary>
    protected virtual int ServerPort => Port;

    /// <summary>Database name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Database { get; set; } = DatabaseTarget.DefaultDatabase;

    /// <summary>Role to log in as when no -Credential is given (default: PGUSER, else cenate).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Role and password. Without it, PGPASSWORD, PGPASSFILE or ~/.pgpass are used, as libpq does.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Builds the Core target; the role and password come from <see cref="CredentialResolver"/>.</summary>
    protected DatabaseTarget BuildTarget()
    {
        var user = CredentialResolver.User(Credential, UserName);
        var password = CredentialResolver.Password(Credential);
        var container = ParameterSetName == ContainerSet;
        return new DatabaseTarget(container ? ConnectionMode.Container : ConnectionMode.Host, Database, user, ServerPort)
        {
            Container = container ? Container : null,
            DockerHost = container ? DockerHost : null,
            Host = container ? TcpHost : HostName,
            TcpPort = container ? TcpPort : null,
            Password = password,
        };
    }
}
