using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace CenateBackup.Core.Wal;

/// <summary>One line of pg_hba.conf as the server parsed it (pg_hba_file_rules).</summary>
/// <param name="LineNumber">The rule's place in the order the server reads the rules: rule_number on PostgreSQL 16+ (include
/// files make line numbers per file), line_number before.</param>
/// <param name="Type">local, host, hostssl, hostnossl, hostgssenc, hostnogssenc.</param>
/// <param name="Databases">The database column (keywords as they are).</param>
/// <param name="Users">The user column (+group for membership).</param>
/// <param name="Address">The address: an IP, a keyword (all, samehost, samenet) or a host name.</param>
/// <param name="Netmask">The mask of an IP address.</param>
/// <param name="Method">The authentication method.</param>
/// <param name="Error">The server's parse error of the line, or null.</param>
public sealed record HbaRule(int LineNumber, string Type, IReadOnlyList<string> Databases, IReadOnlyList<string> Users, string? Address,
    string? Netmask, string? Method, string? Error)
{
    /// <summary>The file the rule is in (PostgreSQL 16+), for messages.</summary>
    public string? FileName { get; init; }
}

/// <summary>
/// Which pg_hba.conf line a replication connection over TCP from 127.0.0.1 meets first, as the server decides: the first
/// line whose type, database, user and address all match. Only <c>replication</c> in the database column matches a
/// replication connection (<c>all</c> does not). A host name other than localhost is never taken as a match, so the
/// module adds its own line rather than trust a name lookup.
/// </summary>
public static class HbaRuleMatch
{
    /// <summary>The methods with which pg_receivewal, given the password, can log in.</summary>
    public static readonly IReadOnlySet<string> PasswordMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        "trust", "scram-sha-256", "md5", "password",
    };

    /// <summary>The first rule that a non-GSS replication connection from 127.0.0.1 by <paramref name="role"/> meets, or null.</summary>
    /// <param name="rules">The rules in file order.</param>
    /// <param name="role">The role that logs in.</param>
    /// <param name="memberOf">The roles it is a member of (itself included), for +group entries.</param>
    /// <param name="ssl">True when the connection will use TLS (the server has ssl on; libpq prefers TLS).</param>
    public static HbaRule? FirstMatch(IEnumerable<HbaRule> rules, string role, IReadOnlySet<string> memberOf, bool ssl)
    {
        foreach (var rule in rules.OrderBy(r => r.LineNumber))
        {
            if (rule.Error is not null) continue;
            var typeMatches = rule.Type switch
            {
                "host" or "hostnogssenc" => true,
                "hostssl" => ssl,
                "hostnossl" => !ssl,
                _ => false,
            };
            if (!typeMatches) continue;
            if (!rule.Databases.Contains("replication")) continue;
            if (!rule.Users.Any(u => UserMatches(u, role, memberOf))) continue;
            if (!AddressMatches(rule.Address, rule.Netmask)) continue;
            return rule;
        }
        return null;
    }

    /// <summary>True when <paramref name="rule"/> lets a login with the right password in.</summary>
    public static bool Admits(HbaRule? rule) => rule?.Method is { } m && PasswordMethods.Contains(m);

    /// <summary>The line the module adds when no rule admits the role: its role, from 127.0.0.1 only, with SCRAM.</summary>
    public static string LineFor(string role) => "host replication " + QuoteToken(role) + " 127.0.0.1/32 scram-sha-256";

    private static bool UserMatches(string entry, string role, IReadOnlySet<string> memberOf)
    {
        if (entry == "all") return true;
        if (entry.StartsWith('+')) return memberOf.Contains(Unquote(entry[1..]));
        return Unquote(entry) == role;
    }

    private static bool AddressMatches(string? address, string? netmask)
    {
        if (address is null) return false;
        switch (address)
        {
            case "all":
            case "samehost":
            case "samenet":
            case "localhost":
                return true;
        }
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        if (netmask is null || !IPAddress.TryParse(netmask, out var mask)) return false;
        var a = ip.GetAddressBytes();
        var m = mask.GetAddressBytes();
        var loopback = IPAddress.Loopback.GetAddressBytes();
        for (var i = 0; i < 4; i++)
        {
            if ((a[i] & m[i]) != (loopback[i] & m[i])) return false;
        }
        return true;
    }

    private static string Unquote(string token) =>
        token.Length >= 2 && token[0] == '"' && token[^1] == '"' ? token[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : token;

    private static string QuoteToken(string role) =>
        role.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && role is not ("all" or "replication" or "samerole" or "samegroup" or "sameuser")
            ? role
            : "\"" + role.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
