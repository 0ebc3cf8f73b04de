using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CenateBackup.Core.Errors;
using CenateBackup.Core.Resources;

namespace CenateBackup.Core.Tools;

/// <summary>The version of a PostgreSQL client tool where a runner runs it.</summary>
public static class PgToolVersion
{
    /// <summary>Asks a tool for its version (pg_dump --version).</summary>
    public static async Task<PgVersion> OfAsync(IPgToolRunner runner, string tool, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var r = await runner.RunAsync(new PgToolInvocation(tool, new[] { "--version" }, new Dictionary<string, string>()), null, output, cancellationToken).ConfigureAwait(false);
        var text = System.Text.Encoding.UTF8.GetString(output.ToArray());
        if (!r.Succeeded || !PgVersion.TryParse(text, out var version))
        {
            throw new CenateException(ErrorIds.PgToolNotFound, CenateErrorKind.NotInstalled,
                Messages.Format("PgToolNotFound.2", tool, runner.Where, (text + " " + r.StandardError).Trim()),
                Messages.Get("PgToolNotFound.Action.2"), tool);
        }
        return version;
    }
}
