namespace CenateBackup.Core.Targets;

/// <summary>A TCP endpoint of a PostgreSQL server and how it was found (reported in verbose output).</summary>
public sealed record TcpEndpoint(string Host, int Port, string HowFound);
