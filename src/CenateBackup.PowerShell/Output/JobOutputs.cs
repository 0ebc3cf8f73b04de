using CenateBackup.Core.Jobs;

namespace CenateBackup.PowerShell.Output;

/// <summary>The job runtime's records as public output types.</summary>
internal static class JobOutputs
{
    public static CenateJobStep Step(JobStepRecord s) => new()
    {
        Name = s.Name, Result = s.Result.ToString(), Start = s.Start, Duration = s.Duration, ErrorId = s.ErrorId,
        Message = s.Message, Bytes = s.Bytes, Rows = s.Rows,
    };
}
