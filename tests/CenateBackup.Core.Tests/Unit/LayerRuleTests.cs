using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using Xunit;

namespace CenateBackup.Core.Tests.Unit;

/// <summary>
/// The dependency rule of src/CenateBackup.Core/README.md, read from the compiled assembly: no namespace cycles, and
/// no infrastructure namespace (anything that is not a feature) references a feature namespace.
/// </summary>
public class LayerRuleTests
{
    private const string CoreRoot = "CenateBackup.Core";
    private const string ProbeRoot = "CenateBackup.Core.Tests.LayerProbe";

    [Fact]
    public void Core_HasNoNamespaceCycles()
    {
        var edges = CoreEdges();
        var cycles = LayerRule.Cycles(edges);
        Assert.True(cycles.Count == 0, "Namespace cycles in CenateBackup.Core:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void Core_InfrastructureNeverReferencesAFeature()
    {
        var offences = LayerRule.InfrastructureToFeature(CoreEdges(), CoreRoot);
        Assert.True(offences.Count == 0,
            "Infrastructure types referencing feature types:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void Core_ScanSeesTheKnownReferences()
    {
        // Guards against a scan that finds nothing and so passes the two rules above vacuously.
        var edges = CoreEdges();
        Assert.Contains(edges, e => e.FromNamespace == "CenateBackup.Core.Dumps"
                                    && e.ToNamespace == "CenateBackup.Core.Storage");
        Assert.Contains(edges, e => e.ToType == typeof(CenateException).FullName);
        Assert.True(edges.Select(e => e.FromNamespace).Distinct().Count() >= 8);
    }

    [Theory]
    [InlineData("CenateBackup.Core.Dumps", true)]
    [InlineData("CenateBackup.Core.Exports", true)]
    [InlineData("CenateBackup.Core.Verification", true)]
    [InlineData("CenateBackup.Core.Restores", true)]
    [InlineData("CenateBackup.Core.Retention", true)]
    [InlineData("CenateBackup.Core.Audit", true)]
    [InlineData("CenateBackup.Core.Offsite", true)]
    [InlineData("CenateBackup.Core.Alerts", true)]
    [InlineData("CenateBackup.Core.Schedule", true)]
    [InlineData("CenateBackup.Core.Wal", true)]
    [InlineData("CenateBackup.Core.Base", true)]
    [InlineData("CenateBackup.Core.Pitr", true)]
    [InlineData("CenateBackup.Core.Restores.Plans", true)]
    [InlineData("CenateBackup.Core", false)]
    [InlineData("CenateBackup.Core.Storage", false)]
    [InlineData("CenateBackup.Core.Docker", false)]
    [InlineData("CenateBackup.Core.DumpsHelpers", false)]
    public void FeatureNamespaces(string ns, bool feature)
    {
        Assert.Equal(feature, LayerRule.IsFeature(ns, CoreRoot));
    }

    [Fact]
    public void Scanner_SeesReferencesThatExistOnlyInMethodBodies()
    {
        var edges = ProbeEdges();

        // new T() in a body, a lambda closure, an async state machine, a catch clause, a local, a cast, typeof.
        AssertEdge(edges, "Storage.BodyOnly", "Dumps.BodyTarget");
        AssertEdge(edges, "Tools.LambdaOnly", "Exports.LambdaTarget");
        AssertEdge(edges, "Database.AsyncOnly", "Audit.AsyncTarget");
        AssertEdge(edges, "Formats.CatchOnly", "Restores.CaughtProbeException");
        AssertEdge(edges, "Formats.CastOnly", "Retention.CastTarget");
        AssertEdge(edges, "Formats.AttributeOnly", "Verification.AttributeTarget");
        AssertEdge(edges, "Formats.Clean", "Storage.BodyOnly");
    }

    [Fact]
    public void Rules_ReportTheProbeOffencesAndCycle()
    {
        var edges = ProbeEdges();

        var offences = LayerRule.InfrastructureToFeature(edges, ProbeRoot);
        Assert.Contains(ProbeRoot + ".Storage.BodyOnly -> " + ProbeRoot + ".Dumps.BodyTarget", offences);
        Assert.DoesNotContain(offences, o => o.StartsWith(ProbeRoot + ".Dumps.", StringComparison.Ordinal));
        Assert.DoesNotContain(offences, o => o.StartsWith(ProbeRoot + ".Formats.Clean ", StringComparison.Ordinal));
        Assert.Equal(6, offences.Count);

        var cycle = Assert.Single(LayerRule.Cycles(edges));
        Assert.Contains(ProbeRoot + ".Dumps -> " + ProbeRoot + ".Storage", cycle);
        Assert.Contains(ProbeRoot + ".Storage -> " + ProbeRoot + ".Dumps", cycle);
        Assert.Contains("Storage.BodyOnly -> ", cycle);
    }

    private static void AssertEdge(IReadOnlyList<TypeReferenceEdge> edges, string from, string to)
    {
        Assert.Contains(edges, e => e.FromType == ProbeRoot + "." + from && e.ToType == ProbeRoot + "." + to);
    }

    private static IReadOnlyList<TypeReferenceEdge> CoreEdges() =>
        NamespaceReferenceScanner.Scan(typeof(CenateException).Assembly.Location, CoreRoot);

    private static IReadOnlyList<TypeReferenceEdge> ProbeEdges() =>
        NamespaceReferenceScanner.Scan(typeof(LayerRuleTests).Assembly.Location, ProbeRoot);
}

/// <summary>The two checks over scanned edges; messages name the types that make each reference.</summary>
public static class LayerRule
{
    private static readonly string[] s_features =
        { "Dumps", "Exports", "Verification", "Restores", "Retention", "Audit", "Offsite", "Alerts", "Schedule", "Drift", "Compare",
          "Plan", "Jobs", "Wal", "Base", "Pitr", "Standby" };

    /// <summary>True for a feature folder's namespace (or one below it) directly under
    /// <paramref name="root"/>.</summary>
    public static bool IsFeature(string ns, string root)
    {
        if (!ns.StartsWith(root + ".", StringComparison.Ordinal))
        {
            return false;
        }
        var folder = ns[(root.Length + 1)..].Split('.')[0];
        return s_features.Contains(folder, StringComparer.Ordinal);
    }

    /// <summary>"from type -> to type" for every reference from an infrastructure type to a feature type.</summary>
    public static IReadOnlyList<string> InfrastructureToFeature(IEnumerable<TypeReferenceEdge> edges, string root) =>
        edges.Where(e => !IsFeature(e.FromNamespace, root) && IsFeature(e.ToNamespace, root))
            .Select(e => e.FromType + " -> " + e.ToType)
            .Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();

    /// <summary>One description per strongly connected group of namespaces: its members and the references
    /// between them.</summary>
    public static IReadOnlyList<string> Cycles(IReadOnlyList<TypeReferenceEdge> edges)
    {
        var graph = edges.Where(e => e.FromNamespace != e.ToNamespace)
            .GroupBy(e => e.FromNamespace)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ToNamespace).Distinct().OrderBy(n => n).ToList());
        var result = new List<string>();
        foreach (var component in StronglyConnected(graph).Where(c => c.Count > 1))
        {
            var members = component.ToHashSet();
            var text = new StringBuilder("cycle among " + string.Join(", ", component.OrderBy(n => n)) + ":");
            foreach (var (from, to) in Hops(graph, members))
            {
                text.Append("\n  ").Append(from).Append(" -> ").Append(to).Append("  e.g. ");
                text.Append(string.Join("; ", edges.Where(e => e.FromNamespace == from && e.ToNamespace == to)
                    .Take(3).Select(e => e.FromType + " -> " + e.ToType)));
            }
            result.Add(text.ToString());
        }
        return result;
    }

    /// <summary>Every namespace-to-namespace reference inside one group (each is part of some cycle).</summary>
    private static IEnumerable<(string From, string To)> Hops(Dictionary<string, List<string>> graph,
        HashSet<string> members) =>
        members.OrderBy(n => n, StringComparer.Ordinal)
            .SelectMany(from => graph.GetValueOrDefault(from, new List<string>())
                .Where(members.Contains).Select(to => (from, to)));

    /// <summary>Tarjan's algorithm.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, List<string>> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        var nodes = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct().OrderBy(n => n).ToList();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, new List<string>()))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }
            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                result.Add(component);
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }
        return result;
    }
}
