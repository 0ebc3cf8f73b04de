// Types that LayerRuleTests scans to prove the scanner sees references made only inside method bodies.
// Each "...Only" type mentions its target nowhere in a signature, field or base type.
using System;
using System.Threading.Tasks;

namespace CenateBackup.Core.Tests.LayerProbe.Dumps
{
    /// <summary>A feature type; it uses Storage in its body, which makes the probe's one cycle.</summary>
    public sealed class BodyTarget
    {
        /// <summary>Body-only reference back to the infrastructure probe.</summary>
        public override string ToString() => Storage.BodyOnly.Count().ToString();
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Exports
{
    /// <summary>Created inside a lambda only.</summary>
    public sealed class LambdaTarget
    {
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Audit
{
    /// <summary>Named after an await only (so inside the async state machine).</summary>
    public sealed class AsyncTarget
    {
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Restores
{
    /// <summary>Named in a catch clause only.</summary>
    public sealed class CaughtProbeException : Exception
    {
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Retention
{
    /// <summary>Named in a type test only.</summary>
    public sealed class CastTarget
    {
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Verification
{
    /// <summary>Named in an attribute's typeof argument only.</summary>
    public sealed class AttributeTarget
    {
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Storage
{
    /// <summary>References a feature type inside a method body only.</summary>
    public static class BodyOnly
    {
        /// <summary>Creates the feature type and returns a number, so no signature names it.</summary>
        public static int Count() => new Dumps.BodyTarget().GetHashCode() & 1;
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Tools
{
    /// <summary>References a feature type inside a lambda (a compiler-generated nested closure type) only.</summary>
    public static class LambdaOnly
    {
        /// <summary>The lambda lives in a nested compiler-generated type.</summary>
        public static Func<object> Make() => () => new Exports.LambdaTarget();
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Database
{
    /// <summary>References a feature type after an await (in the async state machine) only.</summary>
    public static class AsyncOnly
    {
        /// <summary>The reference sits in MoveNext of a nested state machine.</summary>
        public static async Task<string> NameAsync()
        {
            await Task.Yield();
            return typeof(Audit.AsyncTarget).Name;
        }
    }
}

namespace CenateBackup.Core.Tests.LayerProbe.Formats
{
    /// <summary>References a feature exception in a catch clause only.</summary>
    public static class CatchOnly
    {
        /// <summary>Runs an action and swallows one exception type.</summary>
        public static bool Run(Action action)
        {
            try
            {
                action();
                return true;
            }
            catch (Restores.CaughtProbeException)
            {
                return false;
            }
        }
    }

    /// <summary>References a feature type in a type test only.</summary>
    public static class CastOnly
    {
        /// <summary>isinst only.</summary>
        public static bool Is(object value) => value is Retention.CastTarget;
    }

    /// <summary>Attribute carrying a type.</summary>
    [AttributeUsage(AttributeTargets.All)]
    public sealed class ProbeAttribute : Attribute
    {
        /// <summary>Carries another assembly's enum before the type: the decoder must size it first.</summary>
        public ProbeAttribute(AttributeTargets targets, Type type)
        {
            Targets = targets;
            Type = type;
        }

        /// <summary>The carried enum.</summary>
        public AttributeTargets Targets { get; }

        /// <summary>The carried type.</summary>
        public Type Type { get; }
    }

    /// <summary>References a feature type only through an attribute argument.</summary>
    [Probe(AttributeTargets.Class, typeof(Verification.AttributeTarget))]
    public static class AttributeOnly
    {
    }

    /// <summary>References infrastructure only: must produce no offence.</summary>
    public static class Clean
    {
        /// <summary>Calls infrastructure.</summary>
        public static int Count() => Storage.BodyOnly.Count() + 1;
    }
}
